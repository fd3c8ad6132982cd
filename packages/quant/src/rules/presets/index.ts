import type { ModelFamily, Preset, PresetOptions } from "../types.ts";
import { deepseekV4Preset } from "./deepseek-v4.ts";
import { deepseekV3Preset, deepseekV32Preset } from "./hf-deepseek.ts";

/** Attention on NVFP4 by default only where engines have run it that way (V3/V3.2). */
const QUANTIZE_ATTENTION_DEFAULT: Record<ModelFamily, boolean> = {
  "deepseek-v3": true,
  "deepseek-v3.2": true,
  "deepseek-v4": false,
};

const BUILDERS: Record<ModelFamily, (options: Preset["options"]) => Preset> = {
  "deepseek-v3": deepseekV3Preset,
  "deepseek-v3.2": deepseekV32Preset,
  "deepseek-v4": deepseekV4Preset,
};

export function buildPreset(family: ModelFamily, options: PresetOptions = {}): Preset {
  return BUILDERS[family]({
    quantizeAttention: options.quantizeAttention ?? QUANTIZE_ATTENTION_DEFAULT[family],
    quantizeSharedExperts: options.quantizeSharedExperts ?? true,
    ignore: (options.ignore ?? []).map((p) => (typeof p === "string" ? new RegExp(p) : p)),
  });
}
