import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatRatio } from "../../src/lib/format";
import { isUnderSomeRoot, modelLabelOf } from "../../src/lib/paths";
import { asQualityReport, asShardList, formatErrorValue } from "../../src/lib/reports";

describe("isUnderSomeRoot", () => {
  it("accepts paths inside a root and rejects escapes and lookalikes", () => {
    expect(isUnderSomeRoot("/data/model", ["/data"])).toBe(true);
    expect(isUnderSomeRoot("/data", ["/data/"])).toBe(true);
    expect(isUnderSomeRoot("/data/../etc", ["/data"])).toBe(false);
    expect(isUnderSomeRoot("/database", ["/data"])).toBe(false);
    expect(isUnderSomeRoot("data/model", ["/data"])).toBe(false);
    expect(isUnderSomeRoot("/x//y/./z", ["/nvme", "/x/y"])).toBe(true);
  });

  it("labels a run by its source folder", () => {
    expect(modelLabelOf("/data/DeepSeek-V3-FP8/")).toBe("DeepSeek-V3-FP8");
  });
});

describe("format", () => {
  it("humanises sizes, durations and ratios", () => {
    expect(formatBytes(865_000_000_000)).toBe("865 GB");
    expect(formatBytes(1_234_567)).toBe("1.23 MB");
    expect(formatBytes(null)).toBe("—");
    expect(formatDuration(3_725_000)).toBe("1h 2m");
    expect(formatDuration(4_200)).toBe("4.2s");
    expect(formatRatio(1.8765)).toBe("1.88×");
  });
});

describe("report readers", () => {
  const zeros = { tensors: 0, groups: 0, exactGroups: 0, subnormalScaleGroups: 0, roundedGroups: 0 };
  const report = {
    format: "fp4kit-quality",
    version: 1,
    outputFormat: "compressed-tensors",
    totals: {
      quantizedTensors: 0,
      elements: 0,
      relRmsError: 0,
      meanRelRmsError: 0,
      maxRelRmsError: 0,
      maxAbsError: 0,
    },
    inputScales: null,
    warnings: [],
    layers: [],
    tensors: [],
    mxfp4: { totals: { ...zeros, roundedTensors: 0, maxAbsError: 0 }, tensors: [] },
  };

  it("reads quality reports that follow the protocol's schema, and nothing else", () => {
    expect(asQualityReport(report)).toEqual(report);
    expect(asQualityReport({ ...report, version: 2 })).toBeNull();
    expect(asQualityReport({ format: "fp4kit-quality", version: 1, totals: {} })).toBeNull();
    expect(asQualityReport(null)).toBeNull();
  });

  it("reads shard lists and formats error figures", () => {
    const shard = {
      file: "model-00001-of-00002.safetensors",
      bytes: 10,
      sha256: "ab".repeat(32),
      resumed: false,
    };
    expect(asShardList([shard])).toEqual([shard]);
    expect(asShardList([shard, { nope: true }])).toEqual([]);
    expect(asShardList({ shards: [] })).toEqual([]);
    expect(formatErrorValue(0.08123)).toBe("0.0812");
    expect(formatErrorValue(0.000123)).toBe("1.23e-4");
    expect(formatErrorValue(88000)).toBe("88,000");
  });
});
