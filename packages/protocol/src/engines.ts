/**
 * Inference engines an output is made for, and which output format each one loads. One table for
 * the CLI, the agent and the web form: `convert --engine` picks the engine's format unless a
 * format is given, and a combination the engine does not load is refused with the reason (unless
 * forced). Why each entry holds, with the engine source read (path and commit), is in
 * packages/quant/docs/engines.md; the per-module contracts live in @fp4kit/quant.
 */
import { z } from "zod";
import type { ModelFamily } from "./reports/vocabulary.ts";

export const EngineSchema = z.enum(["vllm", "sglang", "trtllm"]);
export type Engine = z.infer<typeof EngineSchema>;

/**
 * compressed-tensors: NVFP4A16 (weight-only, W4A16); compressed-tensors-w4a4: NVFP4 with static
 * activation global scales (W4A4); modelopt: ModelOpt NVFP4 (W4A4, hf_quant_config.json).
 */
export const OutputFormatSchema = z.enum(["compressed-tensors", "compressed-tensors-w4a4", "modelopt"]);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

export interface EngineProfile {
  engine: Engine;
  label: string;
  /** The format `convert --engine <engine>` writes when no format is given. */
  defaultFormat: OutputFormat;
}

export const ENGINE_PROFILES: Record<Engine, EngineProfile> = {
  vllm: { engine: "vllm", label: "vLLM", defaultFormat: "compressed-tensors" },
  sglang: { engine: "sglang", label: "SGLang", defaultFormat: "modelopt" },
  trtllm: { engine: "trtllm", label: "TensorRT-LLM", defaultFormat: "modelopt" },
};

export const DEFAULT_ENGINE: Engine = "vllm";

export const OUTPUT_FORMAT_LABELS: Record<OutputFormat, string> = {
  "compressed-tensors": "compressed-tensors NVFP4A16 (weight-only)",
  "compressed-tensors-w4a4": "compressed-tensors NVFP4 W4A4",
  modelopt: "ModelOpt NVFP4 (W4A4)",
};

/** Formats that quantize activations too: they need activation input scales (calibration). */
export function formatNeedsInputScales(format: OutputFormat): boolean {
  return format !== "compressed-tensors";
}

export function engineFormat(engine: Engine, format: OutputFormat | undefined): OutputFormat {
  return format ?? ENGINE_PROFILES[engine].defaultFormat;
}

export interface EngineChoice {
  engine: Engine;
  format: OutputFormat;
  /** Undefined while the family is not known yet (the form before a run is inspected). */
  family?: ModelFamily;
  /** Undefined = the family preset's default (off for V4). */
  quantizeAttention?: boolean;
}

/**
 * Why `engine` cannot load this output, or undefined when it can. Family-specific rules apply only
 * when the family is given; the converter checks again once it has detected it.
 */
export function unsupportedEngineChoice(choice: EngineChoice): string | undefined {
  const { engine, format, family, quantizeAttention } = choice;
  const label = ENGINE_PROFILES[engine].label;
  if (engine === "trtllm" && format !== "modelopt") {
    return `${label} loads NVFP4 checkpoints in the ModelOpt layout (hf_quant_config.json); no compressed-tensors contract is known for it: use the modelopt format`;
  }
  if (engine === "sglang" && format !== "modelopt") {
    return `${label} loads DeepSeek NVFP4 checkpoints in the ModelOpt layout (for V4: NVIDIA's FP8 checkpoint with moe_quant_algo NVFP4); no compressed-tensors contract for DeepSeek is known for it: use the modelopt format`;
  }
  if (family === "deepseek-v4" && quantizeAttention === true) {
    return "DeepSeek V4 attention must stay FP8 in every engine: vLLM runs wo_a as an FP8 einsum on the FP8 weight and its block scale and the KV compressor as a plain BF16 mm, and the ModelOpt V4 layout keeps attention FP8; an NVFP4 attention checkpoint loads nowhere";
  }
  return undefined;
}
