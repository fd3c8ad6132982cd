import { describe, expect, it } from "vitest";
import {
  averageThroughput,
  bestIndexes,
  figureRows,
  optionRows,
  seriesName,
} from "../../src/components/compare/compare-model";
import type { CompareEntry } from "../../src/lib/trpc/types";

/** A compared run with the fields the model reads; the rest of a run view does not matter here. */
function entry(id: string, run: Partial<CompareEntry["run"]>, qualityReport: unknown = null): CompareEntry {
  return {
    run: {
      id,
      kind: "CONVERT",
      status: "SUCCEEDED",
      model: "DeepSeek-V3-FP8",
      sourcePath: "/data/DeepSeek-V3-FP8",
      destPath: `/data/out-${id}`,
      agent: null,
      options: {},
      inputBytes: 1_000_000_000,
      outputBytes: 500_000_000,
      compressionRatio: 2,
      durationMs: 10_000,
      ...run,
    },
    metrics: [],
    qualityReport,
    ancestors: [],
  } as unknown as CompareEntry;
}

const quality = (relRmsError: number) => ({
  format: "fp4kit-quality",
  version: 1,
  outputFormat: "compressed-tensors",
  totals: {
    quantizedTensors: 10,
    elements: 1000,
    relRmsError,
    meanRelRmsError: relRmsError,
    maxRelRmsError: relRmsError,
    maxAbsError: 0.5,
  },
  inputScales: null,
  warnings: [],
  layers: [],
  tensors: [],
  mxfp4: {
    totals: {
      tensors: 0,
      groups: 0,
      exactGroups: 0,
      subnormalScaleGroups: 0,
      roundedGroups: 0,
      roundedTensors: 0,
      maxAbsError: 0,
    },
    tensors: [],
  },
});

describe("compare model", () => {
  it("marks the best of each row among eligible runs, and nothing on a tie or a single contender", () => {
    expect(bestIndexes([3, 1, 2], "lower", [true, true, true])).toEqual(new Set([1]));
    expect(bestIndexes([3, 1, 2], "higher", [true, true, true])).toEqual(new Set([0]));
    expect(bestIndexes([3, 1, 2], "lower", [true, false, true])).toEqual(new Set([2]));
    expect(bestIndexes([2, 2], "lower", [true, true])).toEqual(new Set());
    expect(bestIndexes([2, null], "lower", [true, true])).toEqual(new Set());
    expect(bestIndexes([1, 2], undefined, [true, true])).toEqual(new Set());
  });

  it("computes throughput only for succeeded runs that read their whole input", () => {
    expect(averageThroughput(entry("a", {}))).toBe(100_000_000);
    expect(averageThroughput(entry("a", { kind: "INSPECT" }))).toBeNull();
    expect(averageThroughput(entry("a", { status: "FAILED" }))).toBeNull();
  });

  it("rows the figures, quality from the reports, and marks best values only between succeeded runs", () => {
    const rows = figureRows([
      entry("run-aaaaaa", { durationMs: 20_000 }, quality(0.09)),
      entry("run-bbbbbb", { durationMs: 10_000 }, quality(0.08)),
      entry("run-cccccc", { durationMs: 5_000, status: "FAILED" }, null),
    ]);
    const row = (label: string) => rows.find((r) => r.label === label);
    expect(rows.map((r) => r.label)).toEqual([
      "Input size",
      "Output size",
      "Compression ratio",
      "Duration",
      "Avg throughput",
      "Quality · Quantized tensors",
      "Quality · Overall rel. RMS error",
      "Quality · Mean rel. RMS error",
      "Quality · Max rel. RMS error",
      "Quality · Max abs. error",
    ]);
    // The failed run is faster, but not eligible.
    expect(row("Duration")?.best).toEqual(new Set([1]));
    expect(row("Avg throughput")?.values).toEqual([50_000_000, 100_000_000, null]);
    expect(row("Quality · Overall rel. RMS error")?.values).toEqual([0.09, 0.08, null]);
    expect(row("Quality · Overall rel. RMS error")?.best).toEqual(new Set([1]));
    expect(row("Quality · Quantized tensors")?.best).toEqual(new Set());
    expect(row("Input size")?.format(865_000_000_000)).toBe("865 GB");
  });

  it("marks nothing between runs of different kinds", () => {
    const rows = figureRows([entry("a", { durationMs: 1 }), entry("b", { kind: "VERIFY", durationMs: 2 })]);
    expect(rows.every((r) => r.best.size === 0)).toBe(true);
  });

  it("lists every option any run has, and which differ", () => {
    const rows = optionRows([
      entry("a", { options: { engine: "vllm", workers: 4 } }),
      entry("b", { options: { engine: "vllm", gpus: 2 } }),
    ]);
    expect(rows.map((r) => r.key)).toEqual([
      "kind",
      "source",
      "destination",
      "agent",
      "lineage",
      "engine",
      "gpus",
      "workers",
    ]);
    expect(rows.filter((r) => r.differs).map((r) => r.key)).toEqual([
      "destination",
      "lineage",
      "gpus",
      "workers",
    ]);
    expect(rows.find((r) => r.key === "gpus")?.shown).toEqual(["—", "2"]);
  });

  it("names a run by its model and the end of its id", () => {
    expect(seriesName(entry("cm1234567890", {}))).toBe("DeepSeek-V3-FP8 · 567890");
  });
});
