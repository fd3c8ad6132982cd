"use client";

import { useQuery } from "@tanstack/react-query";
import { formatBytes } from "../../../lib/format";
import { asQualityReport, asShardList, formatErrorValue, qualityFigures } from "../../../lib/reports";
import { useTRPC } from "../../../lib/trpc/react";
import type { RunDetail } from "../../../lib/trpc/types";
import { LayerErrorChart } from "../../charts/layer-error-chart";
import { Badge } from "../../ui/badge";
import { ButtonAnchor } from "../../ui/button";
import { Card, CardBody, CardHeader } from "../../ui/card";
import { Alert } from "../../ui/field";

/** A finished convert run's shard list and quality report (per-layer error chart). */
export function ConvertOutputs({ run, teamId }: { run: RunDetail; teamId: string }) {
  const trpc = useTRPC();
  const has = (kind: string) => run.artifacts.some((a) => a.kind === kind);
  const shards = useQuery({
    ...trpc.runs.artifact.queryOptions({ teamId, runId: run.id, kind: "SHARD_LIST" }),
    enabled: has("SHARD_LIST"),
  });
  const quality = useQuery({
    ...trpc.runs.artifact.queryOptions({ teamId, runId: run.id, kind: "QUALITY_REPORT" }),
    enabled: has("QUALITY_REPORT"),
  });
  if (!has("SHARD_LIST") && !has("QUALITY_REPORT")) return null;
  const shardList = shards.data ? asShardList(shards.data.json) : [];
  const report = quality.data ? asQualityReport(quality.data.json) : null;
  const artifactHref = (kind: string, format: "json" | "md") =>
    `/api/runs/${run.id}/artifacts/${kind}?format=${format}`;

  return (
    <div className="grid items-start gap-4 xl:grid-cols-2">
      {has("QUALITY_REPORT") && (
        <Card>
          <CardHeader
            title="Quality report"
            description="Relative RMS error of the dequantized NVFP4 weights against the FP8 source, per layer, worst first"
            actions={
              <>
                <ButtonAnchor size="sm" href={artifactHref("quality_report", "json")} download>
                  JSON
                </ButtonAnchor>
                {quality.data?.markdown && (
                  <ButtonAnchor size="sm" href={artifactHref("quality_report", "md")} download>
                    Markdown
                  </ButtonAnchor>
                )}
              </>
            }
          />
          <CardBody className="space-y-4">
            {quality.isPending && <p className="text-sm text-zinc-500">Loading…</p>}
            {quality.data && !report && (
              <Alert tone="amber">
                This quality report has a format this page cannot show; download it instead.
              </Alert>
            )}
            {report && (
              <>
                <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
                  {qualityFigures(report).map((f) => (
                    <div key={f.label} className="rounded-md bg-zinc-50 px-3 py-2">
                      <dt className="text-[11px] text-zinc-500">{f.label}</dt>
                      <dd className="tabular text-sm font-semibold text-zinc-900">
                        {formatErrorValue(f.value)}
                      </dd>
                    </div>
                  ))}
                </dl>
                {report.inputScales && (
                  <p className="text-xs text-zinc-600">
                    Activation input scales from{" "}
                    {report.inputScales.source === "calibration" ? "calibration file" : "the fallback value"}
                    {report.inputScales.file ? ` ${report.inputScales.file}` : ""}
                    {report.inputScales.value !== null ? ` (${report.inputScales.value})` : ""}.
                    {report.inputScales.warning && (
                      <span className="text-amber-700"> {report.inputScales.warning}</span>
                    )}
                  </p>
                )}
                {/* Reports written before MXFP4 sources were converted have no mxfp4 section. */}
                {report.mxfp4?.totals.tensors > 0 && (
                  <p className="text-xs text-zinc-600">
                    {report.mxfp4.totals.tensors} MXFP4 weights re-expressed as NVFP4:{" "}
                    {report.mxfp4.totals.exactGroups.toLocaleString("en")} of{" "}
                    {report.mxfp4.totals.groups.toLocaleString("en")} groups identical to the source
                    {report.mxfp4.totals.roundedGroups > 0
                      ? `, ${report.mxfp4.totals.roundedGroups.toLocaleString("en")} rounded (see the report)`
                      : ""}
                    .
                  </p>
                )}
                {report.warnings.length > 0 && (
                  <Alert tone="amber">
                    <ul className="list-disc space-y-0.5 pl-4">
                      {report.warnings.map((w) => (
                        <li key={w}>{w}</li>
                      ))}
                    </ul>
                  </Alert>
                )}
                {report.layers.length > 0 ? (
                  <LayerErrorChart layers={report.layers} />
                ) : (
                  <p className="text-sm text-zinc-500">No quantized layers.</p>
                )}
              </>
            )}
          </CardBody>
        </Card>
      )}
      {has("SHARD_LIST") && (
        <Card>
          <CardHeader
            title="Output shards"
            description={`${shardList.length} files · ${formatBytes(shardList.reduce((sum, s) => sum + s.bytes, 0))}`}
            actions={
              <ButtonAnchor size="sm" href={artifactHref("shard_list", "json")} download>
                JSON
              </ButtonAnchor>
            }
          />
          <div className="max-h-[28rem] overflow-auto">
            <table className="w-full text-sm">
              <thead className="sticky top-0 bg-zinc-50 text-xs text-zinc-500">
                <tr>
                  <th className="px-4 py-2 text-left font-medium">File</th>
                  <th className="px-4 py-2 text-right font-medium">Size</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100">
                {shardList.map((shard) => (
                  <tr key={shard.file}>
                    <td className="w-full max-w-0 px-4 py-1.5">
                      <div className="flex items-center gap-2">
                        <span
                          className="truncate font-mono text-xs text-zinc-700"
                          title={`${shard.file}\nsha256 ${shard.sha256}`}
                        >
                          {shard.file}
                        </span>
                        {shard.resumed && (
                          <Badge tone="gray" className="shrink-0">
                            kept from an earlier attempt
                          </Badge>
                        )}
                      </div>
                    </td>
                    <td className="tabular px-4 py-1.5 text-right whitespace-nowrap text-zinc-600">
                      {formatBytes(shard.bytes)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </div>
  );
}
