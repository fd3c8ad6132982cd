/**
 * Typed views of a convert run's result documents (QUALITY_REPORT and SHARD_LIST artifacts), parsed
 * with their @fp4kit/protocol schemas.
 */
import {
  type ConvertedShard,
  type QualityReport,
  QualityReportSchema,
  ShardListSchema,
} from "@fp4kit/protocol";

export type { ConvertedShard, QualityReport };

/** The quality report, when the document is one this page understands (another version is not). */
export function asQualityReport(json: unknown): QualityReport | null {
  const parsed = QualityReportSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** The output shards, in file-name order (the converter uploads them in that order). */
export function asShardList(json: unknown): ConvertedShard[] {
  const parsed = ShardListSchema.safeParse(json);
  return parsed.success ? parsed.data : [];
}

/** The report's headline numbers, in the order the pages show them. */
export function qualityFigures(
  report: QualityReport,
): { label: string; value: number; kind: "count" | "error" }[] {
  const { totals } = report;
  return [
    { label: "Quantized tensors", value: totals.quantizedTensors, kind: "count" },
    { label: "Overall rel. RMS error", value: totals.relRmsError, kind: "error" },
    { label: "Mean rel. RMS error", value: totals.meanRelRmsError, kind: "error" },
    { label: "Max rel. RMS error", value: totals.maxRelRmsError, kind: "error" },
    { label: "Max abs. error", value: totals.maxAbsError, kind: "error" },
  ];
}

/** 0.0812 → "0.0812", 0.000123 → "1.23e-4", 88000 → "88,000". */
export function formatErrorValue(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) >= 1) return value.toLocaleString("en");
  if (value === 0) return "0";
  return Math.abs(value) >= 0.001 ? value.toFixed(4) : value.toExponential(2);
}
