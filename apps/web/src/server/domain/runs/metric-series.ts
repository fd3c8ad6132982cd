import { type MetricValues, MetricValuesSchema } from "@fp4kit/protocol";
import type { Db } from "../../db";

export interface MetricPoint extends MetricValues {
  /** Seconds since the run's first sample, so runs started at different times overlay. */
  t: number;
}

/** Keeps every k-th sample (and always the last) so charts get at most `maxPoints` points. */
function downsample<T>(items: T[], maxPoints: number): T[] {
  if (items.length <= maxPoints) return items;
  const step = Math.ceil(items.length / maxPoints);
  const kept = items.filter((_, i) => i % step === 0);
  const last = items.at(-1);
  if (last !== undefined && kept.at(-1) !== last) kept.push(last);
  return kept;
}

/** A run's metric samples as a time series for charts. */
export async function readMetricSeries(db: Db, input: { runId: string; maxPoints: number }) {
  const samples = await db.metricSample.findMany({
    where: { runId: input.runId },
    orderBy: { seq: "asc" },
    select: { ts: true, values: true },
  });
  const t0 = samples[0]?.ts.getTime() ?? 0;
  const points: MetricPoint[] = samples.map((s) => ({
    t: (s.ts.getTime() - t0) / 1000,
    ...MetricValuesSchema.catch({}).parse(s.values),
  }));
  return downsample(points, input.maxPoints);
}
