"use client";

import { formatBytes, formatPercent, formatThroughput } from "../../lib/format";
import type { CompareEntry } from "../../lib/trpc/types";
import { type ChartSeries, pointsOf, SERIES_COLORS, SeriesChart } from "../charts/series-chart";
import { Card, CardHeader } from "../ui/card";
import { seriesName } from "./compare-model";

/** One series a run, in the runs' colours, of the metric `pick` reads from each sample. */
function overlay(
  entries: CompareEntry[],
  pick: (sample: CompareEntry["metrics"][number]) => number | undefined,
): ChartSeries[] {
  return entries.map((e, i) => ({
    name: seriesName(e),
    color: SERIES_COLORS[i % SERIES_COLORS.length] ?? "#6366f1",
    points: pointsOf(e.metrics, pick),
  }));
}

/** The runs' metrics overlaid on time since each run's first sample; GPU use when any run has it. */
export function CompareCharts({ entries }: { entries: CompareEntry[] }) {
  const gpuSeries = overlay(entries, (s) => s.gpuUtilization);
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <Card>
        <CardHeader
          title="Throughput"
          description={
            <>
              Overlaid on time since each run's first sample. Every sample as CSV:{" "}
              {entries.map((e, i) => (
                <span key={e.run.id}>
                  {i > 0 && ", "}
                  <a
                    href={`/api/runs/${e.run.id}/metrics`}
                    download
                    className="text-indigo-600 hover:underline"
                    data-testid="compare-metrics-csv"
                  >
                    {seriesName(e)}
                  </a>
                </span>
              ))}
            </>
          }
        />
        <div className="px-2 py-3">
          <SeriesChart
            formatValue={formatThroughput}
            formatTick={(v) => formatThroughput(v, "short")}
            series={overlay(entries, (s) => s.throughputBytesPerSec)}
          />
        </div>
      </Card>
      <Card>
        <CardHeader title="Progress" />
        <div className="px-2 py-3">
          <SeriesChart
            formatValue={(v) => formatPercent(v, 0)}
            series={overlay(entries, (s) => s.progress)}
          />
        </div>
      </Card>
      <Card>
        <CardHeader title="Bytes written" />
        <div className="px-2 py-3">
          <SeriesChart
            formatValue={(v) => formatBytes(v)}
            formatTick={(v) => formatBytes(v, "short")}
            series={overlay(entries, (s) => s.bytesWritten)}
          />
        </div>
      </Card>
      {gpuSeries.some((series) => series.points.length > 0) && (
        <Card>
          <CardHeader title="GPU utilization" />
          <div className="px-2 py-3">
            <SeriesChart formatValue={(v) => formatPercent(v, 0)} series={gpuSeries} />
          </div>
        </Card>
      )}
    </div>
  );
}
