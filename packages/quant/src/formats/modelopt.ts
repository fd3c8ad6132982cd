/**
 * ModelOpt NVFP4 (W4A4): `<m>.weight` (packed E2M1), `<m>.weight_scale` (E4M3), `<m>.weight_scale_2`
 * (the global scale gs itself) and `<m>.input_scale` (activation global scale), as ModelOpt exports
 * them and engines' ModelOpt loaders register them (docs/engines.md).
 *
 * Two layouts:
 * - DeepSeek V3 / V3.2: the NVFP4 checkpoint ModelOpt's own export writes. config.json gets
 *   {"quant_method": "modelopt", "quant_algo": "NVFP4", ...}, hf_quant_config.json the same with
 *   `exclude_modules`; a kept FP8 Linear becomes BF16 and is excluded (the NVFP4 config has no FP8
 *   scheme).
 * - DeepSeek V4: NVIDIA's V4 layout (ModelOpt examples/deepseek/deepseek_v4/quantize_to_nvfp4.py):
 *   only routed experts are NVFP4, everything else stays exactly as in the FP8 source
 *   (`<m>.weight` + `<m>.scale`); config.json keeps the FP8 quantization_config with
 *   `moe_quant_algo: "NVFP4"`, and hf_quant_config.json says MIXED_PRECISION with the NVFP4
 *   `quantized_layers` (also written as quant_cfg.json, where TensorRT-LLM reads them).
 */
import { NVFP4_GROUP } from "../rules/plan.ts";
import { FP4KIT_VERSION } from "../version.ts";
import { compactModuleList } from "./module-patterns.ts";
import { f32Scalar, tensor } from "./tensors.ts";
import type { ConfigContext, OutputFormatModule, QuantizationConfigs } from "./types.ts";

export const HF_QUANT_CONFIG_FILE = "hf_quant_config.json";
/** TensorRT-LLM reads a MIXED_PRECISION checkpoint's per-layer algorithms from this file. */
export const QUANT_CFG_FILE = "quant_cfg.json";

/** fp4kit is not ModelOpt; engines key on producer.name only to recognise the file layout. */
const PRODUCER = { name: "modelopt", version: `0.0.0+fp4kit.${FP4KIT_VERSION}` };

/**
 * Modules NVIDIA's V4 export leaves in FP8 / BF16, as fnmatch patterns over checkpoint names
 * (quantize_to_nvfp4.py `_write_index_and_manifest`): attention, shared experts, router, mHC,
 * embedding and head, MTP input projections and norms.
 */
export const V4_EXCLUDE_MODULES = [
  "*.attn.*",
  "*.attn_norm.*",
  "*.ffn.shared_experts.*",
  "*.ffn.gate.*",
  "*.ffn_norm.*",
  "embed.weight",
  "head.weight",
  "*.hc_*",
  "*.h_proj.*",
  "*.e_proj.*",
  "*.enorm.*",
  "*.hnorm.*",
  "mtp.*.norm.*",
  "norm.weight",
];

export const modelOptNvfp4: OutputFormatModule = {
  id: "modelopt",
  needsInputScales: true,
  dialect: "modelopt",
  nvfp4Outputs(module, rows, cols) {
    return [
      tensor(`${module}.weight`, "U8", [rows, cols / 2]),
      tensor(`${module}.weight_scale`, "F8_E4M3", [rows, cols / NVFP4_GROUP]),
      tensor(`${module}.weight_scale_2`, "F32", []),
      tensor(`${module}.input_scale`, "F32", []),
    ];
  },
  nvfp4Scalars(globalScale, inputScale) {
    if (inputScale === undefined) throw new Error("ModelOpt output without input scales");
    return [f32Scalar(globalScale), f32Scalar(inputScale)];
  },
  keptFp8: (family) => (family === "deepseek-v4" ? "source" : "bf16"),
  presetOptions: (family) => (family === "deepseek-v4" ? { quantizeSharedExperts: false } : {}),
  buildConfigs: (ctx) => (ctx.family === "deepseek-v4" ? v4Configs(ctx) : nvfp4Configs(ctx)),
};

function nvfp4Configs(ctx: ConfigContext): QuantizationConfigs {
  const { modules } = ctx;
  if (modules.quantized.length === 0)
    return { quantizationConfig: undefined, configFields: {}, sideFiles: {} };
  const universe = [...modules.quantized, ...modules.fp8Block, ...modules.unquantized, ...modules.mxfp4];
  const exclude = compactModuleList(modules.unquantized, universe, "modelopt");
  return {
    quantizationConfig: {
      quant_method: "modelopt",
      quant_algo: "NVFP4",
      kv_cache_quant_algo: null,
      group_size: NVFP4_GROUP,
      ignore: exclude,
      producer: PRODUCER,
    },
    configFields: {},
    sideFiles: {
      [HF_QUANT_CONFIG_FILE]: {
        producer: PRODUCER,
        quantization: {
          quant_algo: "NVFP4",
          kv_cache_quant_algo: null,
          group_size: NVFP4_GROUP,
          exclude_modules: exclude,
        },
      },
    },
  };
}

function v4Configs(ctx: ConfigContext): QuantizationConfigs {
  const { modules } = ctx;
  if (modules.quantized.length === 0)
    return { quantizationConfig: undefined, configFields: {}, sideFiles: {} };
  const quantizedLayers = Object.fromEntries(
    [...modules.quantized].sort().map((m) => [m, { quant_algo: "NVFP4", group_size: NVFP4_GROUP }]),
  );
  // Kept Linears the static list does not name (e.g. routed experts kept with --ignore).
  const universe = [...modules.quantized, ...modules.fp8Block, ...modules.unquantized, ...modules.mxfp4];
  const kept = [...modules.fp8Block, ...modules.unquantized];
  const covered = (m: string) => V4_EXCLUDE_MODULES.some((p) => globMatches(p, `${m}.weight`));
  const extra = compactModuleList(
    kept.filter((m) => !covered(m)),
    universe,
    "modelopt",
  );
  const source = ctx.sourceQuantizationConfig ?? {};
  return {
    quantizationConfig: {
      ...source,
      activation_scheme: source.activation_scheme ?? "dynamic",
      quant_method: "fp8",
      weight_block_size: source.weight_block_size ?? [ctx.fp8Block[0], ctx.fp8Block[1]],
      moe_quant_algo: "NVFP4",
    },
    // vLLM's DeepseekV4FP8Config routes routed experts to NVFP4 only for expert_dtype "fp4".
    configFields: { expert_dtype: "fp4" },
    sideFiles: {
      [HF_QUANT_CONFIG_FILE]: {
        producer: PRODUCER,
        quantization: {
          quant_algo: "MIXED_PRECISION",
          kv_cache_quant_algo: null,
          group_size: NVFP4_GROUP,
          quantized_layers: quantizedLayers,
          exclude_modules: [...V4_EXCLUDE_MODULES, ...extra],
        },
      },
      [QUANT_CFG_FILE]: {
        quant_algo: "MIXED_PRECISION",
        kv_cache_quant_algo: null,
        quantized_layers: quantizedLayers,
      },
    },
  };
}

/** fnmatch as Python's (no character classes in these lists): `*` anything, `?` one character. */
export function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[\\^$.+()[\]{}|]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s").test(name);
}
