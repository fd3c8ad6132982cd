import { CalibrationMethodSchema, EngineSchema, OutputFormatSchema } from "@fp4kit/protocol";
import { describe, expect, it } from "vitest";
import {
  INITIAL_FORM,
  type NewRunFormState,
  parseNewRunForm,
} from "../../src/components/runs/new-run/form-state";
import { calibrateOptionsView, convertOptionsView } from "../../src/components/runs/new-run/options-model";

const convert: NewRunFormState = {
  ...INITIAL_FORM,
  kind: "CONVERT",
  sourcePath: "/data/DeepSeek-V3-FP8",
  destPath: "/data/DeepSeek-V3-NVFP4",
};
const calibrate: NewRunFormState = {
  ...INITIAL_FORM,
  kind: "CALIBRATE",
  sourcePath: "/data/DeepSeek-V3-FP8",
  destPath: "/data/DeepSeek-V3-FP8.calibration.json",
};
const FORMAT_CHOICES = ["engine", ...OutputFormatSchema.options] as const;

describe("convertOptionsView", () => {
  it("offers every engine and format, the engine's own first, and asks nothing more by default", () => {
    const view = convertOptionsView(convert);
    expect(view.engines).toEqual([
      { value: "vllm", label: "vLLM" },
      { value: "sglang", label: "SGLang" },
      { value: "trtllm", label: "TensorRT-LLM" },
    ]);
    expect(view.formats.map((f) => f.value)).toEqual(FORMAT_CHOICES);
    expect(view.formats[0]?.label).toBe("Engine default (compressed-tensors NVFP4A16 (weight-only))");
    expect(view.attentionChoices.map((c) => c.value)).toEqual(["preset", "on", "off"]);
    expect(view).toMatchObject({
      formatHint: undefined,
      forceHint: undefined,
      inputScales: false,
      attentionHint: undefined,
    });
    const trtllm = convertOptionsView({ ...convert, engine: "trtllm" });
    expect(trtllm.formats[0]?.label).toBe("Engine default (ModelOpt NVFP4 (W4A4))");
  });

  it("shows the input-scale fields exactly when the schema asks for input scales", () => {
    for (const engine of EngineSchema.options) {
      for (const format of FORMAT_CHOICES) {
        // Forced, so that a format the engine does not load still reaches the input-scale rule.
        const form = { ...convert, engine, format, force: true };
        const parsed = parseNewRunForm(form);
        const asks = "errors" in parsed && "options.calibrationFile" in parsed.errors;
        expect(convertOptionsView(form).inputScales, `${engine} ${format}`).toBe(asks);
      }
    }
  });

  it("explains a format the engine does not load exactly when the schema refuses it, and offers force", () => {
    for (const engine of EngineSchema.options) {
      for (const format of FORMAT_CHOICES) {
        const form = { ...convert, engine, format, inputScale: "0.5" };
        const parsed = parseNewRunForm(form);
        const refused = "errors" in parsed && "options.format" in parsed.errors;
        const view = convertOptionsView(form);
        expect(view.formatHint?.startsWith("Not loadable: "), `${engine} ${format}`).toBe(
          refused || undefined,
        );
        expect(view.forceHint, `${engine} ${format}`).toBe(
          refused ? "The reason is recorded as a warning in the run's report." : undefined,
        );
        if (refused) expect(parseNewRunForm({ ...form, force: true })).toHaveProperty("spec");
      }
    }
  });

  it("warns that NVFP4 attention is refused for DeepSeek V4 sources, which force writes anyway", () => {
    const on = convertOptionsView({ ...convert, quantizeAttention: "on" });
    expect(on.attentionHint).toMatch(/^Refused for DeepSeek V4 sources: DeepSeek V4 attention must stay FP8/);
    expect(on.forceHint).toBe(
      "A DeepSeek V4 source with NVFP4 attention is written anyway; the reason is recorded as a warning in the run's report.",
    );
    expect(convertOptionsView({ ...convert, quantizeAttention: "off" }).attentionHint).toBeUndefined();
    // With a refused format too, the box's hint speaks of refusals in general.
    const both = convertOptionsView({
      ...convert,
      engine: "trtllm",
      format: "compressed-tensors",
      quantizeAttention: "on",
    });
    expect(both.forceHint).toBe("The reason is recorded as a warning in the run's report.");
  });
});

describe("calibrateOptionsView", () => {
  it("offers every method and names the fields after the chosen one, its defaults as placeholders", () => {
    expect(
      calibrateOptionsView(calibrate)
        .methods.map((m) => m.value)
        .sort(),
    ).toEqual([...CalibrationMethodSchema.options].sort());
    expect(calibrateOptionsView(calibrate)).toMatchObject({
      numSamples: { label: "Sequences", placeholder: "128" },
      maxSeqLen: { label: "Tokens per sequence", placeholder: "512" },
      dataset: { label: "Calibration text", placeholder: "the text shipped with fp4kit" },
      ignore: false,
    });
    expect(calibrateOptionsView({ ...calibrate, calibrationMethod: "llm-compressor" })).toMatchObject({
      numSamples: { label: "Calibration samples", placeholder: "256" },
      maxSeqLen: { label: "Max sequence length", placeholder: "4096" },
      dataset: { label: "Calibration dataset", placeholder: "HuggingFaceH4/ultrachat_200k" },
      ignore: true,
    });
  });

  it("shows the ignore regexes exactly when the spec carries them", () => {
    for (const method of CalibrationMethodSchema.options) {
      const form = { ...calibrate, calibrationMethod: method, ignore: "lm_head" };
      const parsed = parseNewRunForm(form);
      expect(parsed).toHaveProperty("spec");
      const sent = "spec" in parsed && JSON.stringify(parsed.spec.options).includes("lm_head");
      expect(calibrateOptionsView(form).ignore, method).toBe(sent);
    }
  });
});
