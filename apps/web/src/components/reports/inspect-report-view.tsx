"use client";

import type { InspectReport } from "@fp4kit/protocol";
import { formatBytes, formatNumber, formatPercent } from "../../lib/format";
import { Badge, type Tone } from "../ui/badge";
import { Card, CardBody, CardHeader } from "../ui/card";
import { Alert } from "../ui/field";
import { Stat } from "../ui/stat";
import { ReportTable } from "./report-table";

const ACTION_TONES: Record<string, Tone> = { quantize: "indigo", preserve: "gray", drop: "amber" };

function block(size: [number, number] | null): string {
  return size ? `${size[0]}×${size[1]}` : "—";
}
function shape(dims: number[]): string {
  return `[${dims.join(", ")}]`;
}

/** The inspect report rendered: overview, plan, categories, dtypes, FP8 scaling and tensor patterns. */
export function InspectReportView({ report }: { report: InspectReport }) {
  const { checkpoint, model, fp8, plan, size, preset } = report;
  return (
    <div className="space-y-5">
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-5">
        <Stat
          label="Tensors"
          value={formatNumber(checkpoint.tensorCount)}
          detail={`${checkpoint.shards.length} shard(s), ${checkpoint.layout}`}
        />
        <Stat
          label="Tensor bytes"
          value={formatBytes(checkpoint.tensorBytes)}
          detail={`${formatBytes(checkpoint.fileBytes)} on disk`}
        />
        <Stat
          label="Projected NVFP4 size"
          value={formatBytes(size.projectedBytesOut)}
          detail={`${formatPercent(size.ratio)} of the input · ${size.projectedBytesOut > 0 ? (size.bytesIn / size.projectedBytesOut).toFixed(2) : "—"}× smaller`}
        />
        <Stat
          label="FP8 block size"
          value={block(fp8.blockSize.used)}
          detail={`configured ${block(fp8.blockSize.configured)}, detected ${block(fp8.blockSize.detected)}`}
        />
        <Stat
          label="Model family"
          value={model.family}
          detail={`from ${model.detectedFrom}${model.modelType ? ` · ${model.modelType}` : ""}`}
        />
      </div>

      {report.warnings.length > 0 && (
        <Alert tone="amber">
          <ul className="list-disc space-y-0.5 pl-4">
            {report.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Alert>
      )}

      <div className="grid gap-5 xl:grid-cols-2">
        <Card>
          <CardHeader title="Path A plan" description={`Preset ${preset.id} · ${preset.description}`} />
          <ReportTable
            rows={(["quantize", "preserve", "drop"] as const).map((action) => ({ action, ...plan[action] }))}
            rowKey={(r) => r.action}
            columns={[
              { header: "Action", cell: (r) => <Badge tone={ACTION_TONES[r.action]}>{r.action}</Badge> },
              { header: "Tensors", align: "right", cell: (r) => formatNumber(r.tensors) },
              { header: "Bytes in", align: "right", cell: (r) => formatBytes(r.bytesIn) },
              { header: "Bytes out", align: "right", cell: (r) => formatBytes(r.bytesOut) },
            ]}
          />
          <div className="border-t border-zinc-100 px-4 pt-3 pb-1 text-xs font-medium text-zinc-500">
            By rule
          </div>
          <ReportTable
            rows={plan.rules}
            rowKey={(r) => `${r.rule}:${r.action}`}
            columns={[
              { header: "Rule", cell: (r) => <span className="font-mono text-xs">{r.rule}</span> },
              { header: "Action", cell: (r) => <Badge tone={ACTION_TONES[r.action]}>{r.action}</Badge> },
              { header: "Tensors", align: "right", cell: (r) => formatNumber(r.tensors) },
              {
                header: "Bytes in → out",
                align: "right",
                cell: (r) => `${formatBytes(r.bytesIn)} → ${formatBytes(r.bytesOut)}`,
              },
            ]}
          />
        </Card>
        <div className="space-y-5">
          <Card>
            <CardHeader title="Counts by category" />
            <ReportTable
              rows={report.categories}
              rowKey={(r) => r.category}
              columns={[
                { header: "Category", cell: (r) => r.category },
                { header: "Tensors", align: "right", cell: (r) => formatNumber(r.tensors) },
                { header: "Weights", align: "right", cell: (r) => formatNumber(r.weights) },
                { header: "Bytes", align: "right", cell: (r) => formatBytes(r.bytes) },
              ]}
            />
          </Card>
          <Card>
            <CardHeader title="Dtypes" />
            <ReportTable
              rows={report.dtypes}
              rowKey={(r) => r.dtype}
              columns={[
                { header: "Dtype", cell: (r) => <span className="font-mono text-xs">{r.dtype}</span> },
                { header: "Tensors", align: "right", cell: (r) => formatNumber(r.tensors) },
                { header: "Bytes", align: "right", cell: (r) => formatBytes(r.bytes) },
              ]}
            />
          </Card>
        </div>
      </div>

      <Card>
        <CardHeader
          title="FP8 scaling"
          description={`${formatNumber(fp8.weights)} FP8 weights with a scale companion · ${fp8.scaleNaming.map((s) => `${s.count}× ${s.suffix}`).join(", ") || "no companions"}`}
        />
        <CardBody>
          {fp8.disagreements.length === 0 ? (
            <p className="text-sm text-zinc-600">
              Every FP8 scale matches the {block(fp8.blockSize.used)} block size.
            </p>
          ) : (
            <ReportTable
              rows={fp8.disagreements}
              rowKey={(r) => r.tensor}
              columns={[
                { header: "Tensor", cell: (r) => <span className="font-mono text-xs">{r.tensor}</span> },
                { header: "Shape", cell: (r) => shape(r.shape) },
                { header: "Scale shape", cell: (r) => shape(r.scaleShape) },
                { header: "Block used", cell: (r) => block(r.block) },
              ]}
            />
          )}
        </CardBody>
      </Card>

      <Card>
        <CardHeader title="Tensor patterns" description="Tensor names with layer and expert indices folded" />
        <ReportTable
          rows={report.patterns}
          rowKey={(r) => `${r.pattern}:${r.role}`}
          columns={[
            { header: "Pattern", className: "font-mono text-xs break-all", cell: (r) => r.pattern },
            { header: "Count", align: "right", cell: (r) => formatNumber(r.count) },
            { header: "Category", cell: (r) => r.category },
            {
              header: "Dtype",
              cell: (r) => <span className="font-mono text-xs">{r.dtypes.join(", ")}</span>,
            },
            {
              header: "Shapes",
              className: "font-mono text-xs",
              cell: (r) =>
                r.shapes.map((s) => `${shape(s.shape)}${r.shapes.length > 1 ? `×${s.count}` : ""}`).join(" "),
            },
            {
              header: "Decision",
              cell: (r) => (
                <span className="flex flex-wrap gap-1">
                  {r.decisions.map((d) => (
                    <Badge key={`${d.action}:${d.rule}`} tone={ACTION_TONES[d.action]}>
                      {d.action}
                    </Badge>
                  ))}
                </span>
              ),
            },
            {
              header: "Bytes in → out",
              align: "right",
              cell: (r) => `${formatBytes(r.bytes)} → ${formatBytes(r.projectedBytes)}`,
            },
          ]}
        />
      </Card>
    </div>
  );
}
