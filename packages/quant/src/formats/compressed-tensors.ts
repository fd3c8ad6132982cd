/**
 * compressed-tensors NVFP4, weight-only (NVFP4A16, `compressed-tensors`) or with static activation
 * global scales (NVFP4 W4A4, `compressed-tensors-w4a4`). Field names and values from
 * compressed-tensors' quantization/quant_config.py (QuantizationConfig), quant_scheme.py (presets
 * NVFP4A16, NVFP4 and FP8_BLOCK), config/base.py (CompressionFormat); how vLLM reads them is in
 * docs/engines.md. Global scales are stored as compressed-tensors does: the reciprocal of
 * ModelOpt's (6·448/amax), for weights and activations alike.
 */
import { NVFP4_GROUP } from "../rules/plan.ts";
import { compactModuleList } from "./module-patterns.ts";
import { f32Scalar, tensor } from "./tensors.ts";
import type { ConfigContext, OutputFormatModule, QuantizationConfigs } from "./types.ts";

const NVFP4_ARGS = {
  num_bits: 4,
  type: "float",
  strategy: "tensor_group",
  group_size: NVFP4_GROUP,
  symmetric: true,
  dynamic: false,
  block_structure: null,
  actorder: null,
};

/** Activations of the NVFP4 preset: FP4 groups of 16 under a static (calibrated) global scale. */
const NVFP4_INPUT_ACTIVATIONS = { ...NVFP4_ARGS, dynamic: "local" };

/** DeepSeek's FP8 activations: dynamic per-token groups of 128 (compressed-tensors FP8_BLOCK preset). */
const FP8_BLOCK_INPUT_ACTIVATIONS = {
  num_bits: 8,
  type: "float",
  strategy: "group",
  group_size: 128,
  symmetric: true,
  dynamic: true,
  block_structure: null,
  actorder: null,
};

function fp8BlockWeights(block: readonly [number, number]) {
  return {
    num_bits: 8,
    type: "float",
    strategy: "block",
    block_structure: [block[0], block[1]],
    group_size: null,
    symmetric: true,
    dynamic: false,
    actorder: null,
  };
}

function compressedTensors(withActivations: boolean): OutputFormatModule {
  return {
    id: withActivations ? "compressed-tensors-w4a4" : "compressed-tensors",
    needsInputScales: withActivations,
    dialect: "compressed-tensors",
    nvfp4Outputs(module, rows, cols) {
      const outputs = [
        tensor(`${module}.weight_packed`, "U8", [rows, cols / 2]),
        tensor(`${module}.weight_scale`, "F8_E4M3", [rows, cols / NVFP4_GROUP]),
        tensor(`${module}.weight_global_scale`, "F32", [1]),
      ];
      if (withActivations) outputs.push(tensor(`${module}.input_global_scale`, "F32", [1]));
      return outputs;
    },
    nvfp4Scalars(globalScale, inputScale) {
      const scalars = [f32Scalar(1 / globalScale)];
      if (withActivations) {
        if (inputScale === undefined) throw new Error("compressed-tensors W4A4 output without input scales");
        scalars.push(f32Scalar(1 / inputScale));
      }
      return scalars;
    },
    keptFp8: () => "fp8-block",
    presetOptions: () => ({}),
    buildConfigs: (ctx) => compressedTensorsConfigs(ctx, withActivations),
  };
}

export const compressedTensorsW4A16 = compressedTensors(false);
export const compressedTensorsW4A4 = compressedTensors(true);

function compressedTensorsConfigs(ctx: ConfigContext, withActivations: boolean): QuantizationConfigs {
  const { modules } = ctx;
  const targets = moduleLists(ctx);
  const groups: [string, Record<string, unknown>][] = [];
  if (modules.quantized.length > 0) {
    groups.push([
      "nvfp4-pack-quantized",
      {
        targets: targets(modules.quantized),
        weights: NVFP4_ARGS,
        input_activations: withActivations ? NVFP4_INPUT_ACTIVATIONS : null,
        output_activations: null,
        format: "nvfp4-pack-quantized",
      },
    ]);
  }
  if (modules.fp8Block.length > 0) {
    groups.push([
      "float-quantized",
      {
        targets: targets(modules.fp8Block),
        weights: fp8BlockWeights(ctx.fp8Block),
        input_activations: FP8_BLOCK_INPUT_ACTIVATIONS,
        output_activations: null,
        format: "float-quantized",
      },
    ]);
  }
  if (groups.length === 0) return { quantizationConfig: undefined, configFields: {}, sideFiles: {} };
  return {
    quantizationConfig: {
      quant_method: "compressed-tensors",
      format: groups.length === 1 ? (groups[0] as [string, unknown])[0] : "mixed-precision",
      quantization_status: "compressed",
      config_groups: Object.fromEntries(groups.map(([, group], i) => [`group_${i}`, group])),
      ignore: targets(modules.unquantized),
      kv_cache_scheme: null,
      global_compression_ratio: null,
      ...carriedOver(ctx),
    },
    configFields: v4ExpertDtype(ctx),
    sideFiles: {},
  };
}

/**
 * DeepSeek V4's `expert_dtype` names the layout of the experts in DeepSeek's own tensors: "fp4" =
 * MXFP4 `.weight` + UE8M0 `.scale` per 32, "fp8" = FP8 block. Under a compressed-tensors config
 * vLLM takes the experts' scheme from the config groups; `expert_dtype` then only decides whether
 * `experts.E.wN.scale` tensors are renamed to MXFP4's `weight_scale` (deepseek_v4.py
 * `_make_deepseek_v4_weights_mapper`, deepseek_v4_mtp.py) and whether the MXFP4-only MegaMoE
 * backend is allowed. An output without MXFP4 tensors says "fp8" whatever the source said: the same
 * config from FP8 and MXFP4 sources, and MegaMoE refused up front instead of failing mid-load on
 * NVFP4 tensors it has no parameters for.
 */
function v4ExpertDtype(ctx: ConfigContext): Record<string, unknown> {
  if (ctx.family !== "deepseek-v4" || ctx.modules.mxfp4.length > 0) return {};
  return { expert_dtype: "fp8" };
}

/**
 * Exact module lists in both vocabularies: the checkpoint's names (what compressed-tensors itself
 * matches) and the names the engine asks about after its own renaming and fusion. An engine module
 * joins a list only when every checkpoint module behind it is in the list.
 */
function moduleLists(ctx: ConfigContext): (members: readonly string[]) => string[] {
  const { modules, engineModules } = ctx;
  const universe = unique([
    ...modules.quantized,
    ...modules.fp8Block,
    ...modules.unquantized,
    ...modules.mxfp4,
    ...engineModules.map((m) => m.name),
  ]);
  return (members) => {
    const set = new Set(members);
    const engineNames = engineModules
      .filter((m) => m.members.every((member) => set.has(member)))
      .map((m) => m.name);
    return compactModuleList(unique([...members, ...engineNames]), universe, "compressed-tensors");
  };
}

function carriedOver(ctx: ConfigContext): Record<string, unknown> {
  const source = ctx.sourceQuantizationConfig ?? {};
  return Object.fromEntries(
    ctx.carryOverKeys.filter((k) => Object.hasOwn(source, k)).map((k) => [k, source[k]]),
  );
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
