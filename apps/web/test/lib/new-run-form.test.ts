import { describe, expect, it } from "vitest";
import {
  attentionRefusal,
  forceApplies,
  INITIAL_FORM,
  parseNewRunForm,
} from "../../src/components/runs/new-run/form-state";

describe("parseNewRunForm", () => {
  it("builds a convert spec with the protocol's defaults and leaves attention to the preset", () => {
    const parsed = parseNewRunForm({
      ...INITIAL_FORM,
      agentId: "agent-1",
      kind: "CONVERT",
      sourcePath: " /data/DeepSeek-V3-FP8 ",
      destPath: "/data/DeepSeek-V3-NVFP4",
      shardSizeGb: "2.5",
      ignore: "mtp\\..*\n\n  lm_head  ",
    });
    expect(parsed).toEqual({
      spec: {
        agentId: "agent-1",
        kind: "CONVERT",
        sourcePath: "/data/DeepSeek-V3-FP8",
        destPath: "/data/DeepSeek-V3-NVFP4",
        options: {
          engine: "vllm",
          force: false,
          overwrite: false,
          workers: 0,
          gpus: 0,
          shardSizeBytes: 2_500_000_000,
          ignore: ["mtp\\..*", "lm_head"],
        },
      },
    });
  });

  it("reports field errors by path, then the cross-field rules", () => {
    const notANumber = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CONVERT",
      sourcePath: "/data/x",
      workers: "x",
    });
    expect(notANumber).toEqual({ errors: { "options.workers": "Enter a number" } });
    const noDestination = parseNewRunForm({ ...INITIAL_FORM, kind: "CONVERT", sourcePath: "/data/x" });
    expect(noDestination).toEqual({
      errors: { destPath: "Enter the folder the new checkpoint is written to" },
    });
    const noScales = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CONVERT",
      sourcePath: "/d/x",
      destPath: "/d/y",
      format: "modelopt",
    });
    expect(noScales).toHaveProperty(["errors", "options.calibrationFile"]);
  });

  it("takes the engine's format, asks W4A4 formats for input scales, and refuses what the engine does not load unless forced", () => {
    const base = { ...INITIAL_FORM, kind: "CONVERT" as const, sourcePath: "/d/x", destPath: "/d/y" };
    const sglang = parseNewRunForm({ ...base, engine: "sglang", inputScale: "0.5" });
    expect(sglang).toHaveProperty(
      "spec.options",
      expect.objectContaining({ engine: "sglang", inputScale: 0.5 }),
    );
    expect(sglang).toHaveProperty("spec.options.format", undefined);
    expect(parseNewRunForm({ ...base, engine: "trtllm" })).toHaveProperty([
      "errors",
      "options.calibrationFile",
    ]);
    const refused = parseNewRunForm({ ...base, engine: "trtllm", format: "compressed-tensors" });
    expect(refused).toHaveProperty(
      ["errors", "options.format"],
      expect.stringContaining("TensorRT-LLM loads NVFP4 checkpoints in the ModelOpt layout"),
    );
    const forced = parseNewRunForm({ ...base, engine: "trtllm", format: "compressed-tensors", force: true });
    expect(forced).toHaveProperty(
      "spec.options",
      expect.objectContaining({ format: "compressed-tensors", force: true }),
    );
  });

  it("offers force for NVFP4 attention, which the converter refuses once it finds a DeepSeek V4 source", () => {
    const base = { ...INITIAL_FORM, kind: "CONVERT" as const, sourcePath: "/d/x", destPath: "/d/y" };
    expect(attentionRefusal(base)).toBeUndefined();
    const on = { ...base, quantizeAttention: "on" as const };
    expect(attentionRefusal(on)).toMatch(/^DeepSeek V4 attention must stay FP8/);
    expect(forceApplies(on)).toBe(true);
    expect(parseNewRunForm(on)).toHaveProperty("spec.options", expect.objectContaining({ force: false }));
    expect(parseNewRunForm({ ...on, force: true })).toHaveProperty(
      "spec.options",
      expect.objectContaining({ quantizeAttention: true, force: true }),
    );
  });

  it("sends no destination for inspect runs and an explicit attention choice when made", () => {
    const inspect = parseNewRunForm({ ...INITIAL_FORM, sourcePath: "/data/x", destPath: "/left/over" });
    expect(inspect).toEqual({
      spec: { agentId: null, kind: "INSPECT", sourcePath: "/data/x", destPath: null, options: {} },
    });
    const convert = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CONVERT",
      sourcePath: "/d/a",
      destPath: "/d/b",
      quantizeAttention: "off",
    });
    expect(convert).toHaveProperty("spec.options.quantizeAttention", false);
  });

  it("trusts remote code only when the box is ticked, for the kinds that load a model", () => {
    const base = { ...INITIAL_FORM, sourcePath: "/d/fp8", destPath: "/d/out" };
    for (const kind of ["CALIBRATE", "VERIFY"] as const) {
      const off = parseNewRunForm({ ...base, kind });
      expect(off).toHaveProperty(["spec", "options", "trustRemoteCode"], false);
      const on = parseNewRunForm({ ...base, kind, trustRemoteCode: true });
      expect(on).toHaveProperty(["spec", "options", "trustRemoteCode"], true);
    }
  });

  it("offers input-scales calibration first, leaving its sizes and text to the method's defaults", () => {
    const base = {
      ...INITIAL_FORM,
      kind: "CALIBRATE" as const,
      sourcePath: "/d/fp8",
      destPath: "/d/fp8.json",
    };
    expect(parseNewRunForm({ ...base, ignore: "lm_head" })).toHaveProperty(["spec", "options"], {
      method: "input-scales",
      ignore: [],
      trustRemoteCode: false,
    });
    const hub = parseNewRunForm({ ...base, dataset: "HuggingFaceH4/ultrachat_200k" });
    expect(hub).toHaveProperty(
      ["errors", "options.dataset"],
      expect.stringMatching(/Hub datasets are for llm-compressor/),
    );
    const pathB = parseNewRunForm({ ...base, calibrationMethod: "llm-compressor", ignore: "lm_head" });
    expect(pathB).toHaveProperty(["spec", "options", "method"], "llm-compressor");
    expect(pathB).toHaveProperty(["spec", "options", "ignore"], ["lm_head"]);
  });

  it("says what is wrong with a path or a dataset in the form's terms", () => {
    const relative = parseNewRunForm({ ...INITIAL_FORM, sourcePath: "data/x" });
    expect(relative).toEqual({ errors: { sourcePath: "must be an absolute path (starting with /)" } });
    const dataset = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CALIBRATE",
      sourcePath: "/d/fp8",
      destPath: "/d/out",
      dataset: "../chat",
    });
    expect(dataset).toHaveProperty(["errors", "options.dataset"]);
  });

  it("speaks the form's words and units, under the field concerned", () => {
    const convert = { ...INITIAL_FORM, kind: "CONVERT" as const, sourcePath: "/d/fp8", destPath: "/d/out" };
    expect(parseNewRunForm({ ...INITIAL_FORM, sourcePath: "" })).toEqual({
      errors: { sourcePath: "Enter an absolute path on the agent's host" },
    });
    // Typed in GB; the schema's minimum is 1 MiB, shown rounded up so that the value shown is allowed.
    expect(parseNewRunForm({ ...convert, shardSizeGb: "0.0005" })).toEqual({
      errors: { "options.shardSizeBytes": "At least 0.0011 GB" },
    });
    expect(parseNewRunForm({ ...convert, shardSizeGb: "0.0011" })).toHaveProperty("spec");
    expect(parseNewRunForm({ ...convert, gpus: "99", workers: "2.5" })).toEqual({
      errors: { "options.gpus": "At most 16 GPUs", "options.workers": "Enter a whole number of threads" },
    });
    expect(parseNewRunForm({ ...convert, format: "modelopt", inputScale: "0" })).toEqual({
      errors: { "options.inputScale": "Enter a number above 0" },
    });
    const noScales = parseNewRunForm({ ...convert, format: "modelopt" });
    expect(noScales).toEqual({
      errors: {
        "options.calibrationFile":
          "ModelOpt NVFP4 (W4A4) needs activation input scales: give a calibration file or a fallback input scale",
      },
    });
  });
});
