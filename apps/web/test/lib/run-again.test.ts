import { describe, expect, it } from "vitest";
import { formFromRun, type StoredRunSpec } from "../../src/components/runs/new-run/form-from-run";
import { parseNewRunForm } from "../../src/components/runs/new-run/form-state";
import { diffRunSpecs } from "../../src/lib/run-spec-diff";

const stored: StoredRunSpec[] = [
  { kind: "INSPECT", agentId: null, sourcePath: "/data/V3-FP8", destPath: null, options: {} },
  {
    kind: "CONVERT",
    agentId: "agent-1",
    sourcePath: "/data/V3-FP8",
    destPath: "/data/V3-NVFP4",
    options: {
      engine: "trtllm",
      format: "modelopt",
      force: true,
      workers: 8,
      gpus: 2,
      shardSizeBytes: 2_500_000_000,
      ignore: ["mtp\\..*", "lm_head"],
      quantizeAttention: false,
      calibrationFile: "/data/scales.json",
    },
  },
  {
    kind: "CONVERT",
    agentId: null,
    sourcePath: "/data/V4",
    destPath: "/data/V4-trtllm",
    options: { engine: "trtllm", format: "compressed-tensors-w4a4", force: true, inputScale: 0.5 },
  },
  // Stored before some defaults existed: the form shows them, and queueing it again changes nothing.
  { kind: "CONVERT", agentId: null, sourcePath: "/data/V4", destPath: "/data/V4-out", options: {} },
  {
    kind: "CALIBRATE",
    agentId: "agent-1",
    sourcePath: "/data/V3-FP8",
    destPath: "/data/V3-cal",
    options: { numSamples: 64, maxSeqLen: 2048, dataset: "local/chat", ignore: [] },
  },
  {
    kind: "VERIFY",
    agentId: "agent-1",
    sourcePath: "/data/V3-NVFP4",
    destPath: null,
    options: { referencePath: "/data/V3-FP8", generateTokens: 4 },
  },
];

describe("run again with changes", () => {
  it.each(stored)("prefills the form so that queueing it unchanged gives the same spec ($kind)", (run) => {
    const parsed = parseNewRunForm(formFromRun(run));
    if (!("spec" in parsed)) throw new Error(JSON.stringify(parsed.errors));
    expect(diffRunSpecs(run, parsed.spec)).toEqual([]);
  });

  it("lists exactly the fields that changed, defaults counted as set", () => {
    const run = stored[1] as StoredRunSpec;
    const form = { ...formFromRun(run), destPath: "/data/V3-NVFP4-b", shardSizeGb: "5", gpus: "2" };
    const parsed = parseNewRunForm(form);
    if (!("spec" in parsed)) throw new Error(JSON.stringify(parsed.errors));
    expect(diffRunSpecs(run, parsed.spec)).toEqual([
      { field: "destPath", before: "/data/V3-NVFP4", after: "/data/V3-NVFP4-b" },
      { field: "options.shardSizeBytes", before: 2_500_000_000, after: 5_000_000_000 },
    ]);
  });
});
