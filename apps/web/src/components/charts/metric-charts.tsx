"use client";

import type { MetricValues } from "@fp4kit/protocol";
import { formatBytes, formatPercent, formatThroughput } from "../../lib/format";
import { ButtonAnchor } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { pointsOf, SeriesChart } from "./series-chart";

type Sample = MetricValues & { t: number };

/**
 * Throughput, bytes and GPU charts of one run (GPU only when the run reported GPU samples), and
 * every sample as CSV.
 */
export function MetricCharts({ samples, csvHref }: { samples: readonly Sample[]; csvHref: string }) {
  const gpuUtil = pointsOf(samples, (s) => s.gpuUtilization);
  const gpuMemory = pointsOf(samples, (s) => s.gpuMemoryUsedBytes);
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <Card>
        <CardHeader
          title="Throughput"
          description="FP8 input bytes per second"
          actions={
            <ButtonAnchor size="sm" href={csvHref} download data-testid="metrics-csv">
              Metrics CSV
            </ButtonAnchor>
          }
        />
        <div className="px-2 py-3">
          <SeriesChart
            formatValue={formatThroughput}
            formatTick={(v) => formatThroughput(v, "short")}
            series={[
              {
                name: "Throughput",
                color: "#6366f1",
                points: pointsOf(samples, (s) => s.throughputBytesPerSec),
              },
            ]}
          />
        </div>
      </Card>
      <Card>
        <CardHeader title="Bytes" description="Read from the source and written to the destination" />
        <div className="px-2 py-3">
          <SeriesChart
            formatValue={(v) => formatBytes(v)}
            formatTick={(v) => formatBytes(v, "short")}
            series={[
              { name: "Read", color: "#0ea5e9", points: pointsOf(samples, (s) => s.bytesRead) },
              {
                name: "Written",
                color: "#10b981",
                points: pointsOf(samples, (s) => s.bytesWritten),
                dashed: true,
              },
            ]}
          />
        </div>
      </Card>
      {(gpuUtil.length > 0 || gpuMemory.length > 0) && (
        <>
          <Card>
            <CardHeader title="GPU utilization" />
            <div className="px-2 py-3">
              <SeriesChart
                formatValue={(v) => formatPercent(v, 0)}
                series={[{ name: "GPU", color: "#a855f7", points: gpuUtil }]}
              />
            </div>
          </Card>
          <Card>
            <CardHeader title="GPU memory" />
            <div className="px-2 py-3">
              <SeriesChart
                formatValue={(v) => formatBytes(v)}
                formatTick={(v) => formatBytes(v, "short")}
                series={[{ name: "Memory", color: "#f59e0b", points: gpuMemory }]}
              />
            </div>
          </Card>
        </>
      )}
    </div>
  );
}
