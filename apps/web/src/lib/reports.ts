/**
 * Typed views of a convert run's result documents (QUALITY_REPORT and SHARD_LIST artifacts), made by
 * @fp4kit/quant's converter. Only its types are imported: the package is Node code with native
 * kernels, so the browser bundle checks the document's format marker instead of its schema.
 */
import type { ConvertedShard, QualityReport } from "@fp4kit/quant";

export type { ConvertedShard, QualityReport };

/** The quality report, when the document is one this page understands (format and version). */
export function asQualityReport(json: unknown): QualityReport | null {
  const report = json as Partial<QualityReport> | null;
  return report?.format === "fp4kit-quality" && report.version === 1 ? (report as QualityReport) : null;
}

/** The output shards, sorted by file name (the converter uploads them in that order). */
export function asShardList(json: unknown): ConvertedShard[] {
  if (!Array.isArray(json)) return [];
  return json.filter(
    (s): s is ConvertedShard =>
      typeof s === "object" && s !== null && typeof (s as ConvertedShard).file === "string",
  );
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
