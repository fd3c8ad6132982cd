import { MetricValuesSchema } from "@fp4kit/protocol";
import type { Db } from "../../db";

/** Every metric, in the protocol's order: one CSV column each. */
const COLUMNS = Object.keys(MetricValuesSchema.shape) as (keyof typeof MetricValuesSchema.shape)[];

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function field(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A run's metric samples as CSV: when (UTC and seconds since the first sample), then every metric,
 * empty where a sample did not report it. Raw samples, not the charts' downsampled series.
 */
export async function runMetricsCsv(db: Db, runId: string): Promise<string> {
  const samples = await db.metricSample.findMany({
    where: { runId },
    orderBy: { seq: "asc" },
    select: { ts: true, values: true },
  });
  const start = samples[0]?.ts.getTime() ?? 0;
  const rows = [["time", "seconds", ...COLUMNS].join(",")];
  for (const sample of samples) {
    const values = (sample.values ?? {}) as Record<string, unknown>;
    rows.push(
      [sample.ts.toISOString(), (sample.ts.getTime() - start) / 1000, ...COLUMNS.map((c) => values[c])]
        .map(field)
        .join(","),
    );
  }
  return `${rows.join("\r\n")}\r\n`;
}
