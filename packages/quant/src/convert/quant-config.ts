/**
 * The `quantization_config` (and ModelOpt's `hf_quant_config.json`) that describes exactly what
 * the output holds. Field names and values were read in the quantizers' and engines' source:
 * - compressed-tensors: quantization/quant_config.py (QuantizationConfig), quant_scheme.py
 *   (presets NVFP4A16 and FP8_BLOCK), config/base.py (CompressionFormat); vLLM
 *   compressed_tensors/compressed_tensors.py reads a per-group `format` and picks
 *   CompressedTensorsW4A16Fp4 when `input_activations` is null (`_is_fp4a16_nvfp4`).
 * - ModelOpt: vLLM quantization/modelopt.py (`ModelOptQuantConfigBase.from_config`) reads either
 *   hf_quant_config.json's {"quantization": {"quant_algo", "kv_cache_quant_algo", "group_size",
 *   "exclude_modules"}} or config.json's {"quant_method": "modelopt", "quant_algo", "ignore", ...}.
 * See docs/output-formats.md for the whole format and the decisions.
 */
import type { OutputFormat } from "@fp4kit/protocol";
import type { BlockSize } from "../rules/block-size.ts";
import { NVFP4_GROUP } from "../rules/plan.ts";
import { compactModuleList } from "./module-patterns.ts";
import type { OutputModules } from "./output-layout.ts";

/** Version of fp4kit written into the files it produces. */
export const FP4KIT_VERSION = "0.1.0";

const NVFP4_WEIGHTS = {
  num_bits: 4,
  type: "float",
  strategy: "tensor_group",
  group_size: 16,
  symmetric: true,
  dynamic: false,
  block_structure: null,
  actorder: null,
};

function fp8BlockWeights(block: BlockSize) {
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

export interface QuantizationConfigs {
  /** Replaces config.json's quantization_config; undefined = remove it (nothing quantized). */
  quantizationConfig: Record<string, unknown> | undefined;
  /** ModelOpt only. */
  hfQuantConfig: Record<string, unknown> | undefined;
}

export function buildQuantizationConfigs(
  format: OutputFormat,
  modules: OutputModules,
  fp8Block: BlockSize,
): QuantizationConfigs {
  // Every module an engine could build a Linear for: the patterns must be exact among these.
  const universe = [...modules.quantized, ...modules.fp8Block, ...modules.unquantized, ...modules.mxfp4];
  return format === "compressed-tensors"
    ? { quantizationConfig: compressedTensorsConfig(modules, fp8Block, universe), hfQuantConfig: undefined }
    : modelOptConfigs(modules, universe);
}

function compressedTensorsConfig(
  modules: OutputModules,
  fp8Block: BlockSize,
  universe: string[],
): Record<string, unknown> | undefined {
  const groups: [string, Record<string, unknown>][] = [];
  if (modules.quantized.length > 0) {
    groups.push([
      "nvfp4-pack-quantized",
      {
        targets: compactModuleList(modules.quantized, universe, "compressed-tensors"),
        weights: NVFP4_WEIGHTS,
        input_activations: null,
        output_activations: null,
        format: "nvfp4-pack-quantized",
      },
    ]);
  }
  if (modules.fp8Block.length > 0) {
    groups.push([
      "float-quantized",
      {
        targets: compactModuleList(modules.fp8Block, universe, "compressed-tensors"),
        weights: fp8BlockWeights(fp8Block),
        input_activations: FP8_BLOCK_INPUT_ACTIVATIONS,
        output_activations: null,
        format: "float-quantized",
      },
    ]);
  }
  if (groups.length === 0) return undefined;
  return {
    quant_method: "compressed-tensors",
    format: groups.length === 1 ? (groups[0] as [string, unknown])[0] : "mixed-precision",
    quantization_status: "compressed",
    config_groups: Object.fromEntries(groups.map(([, group], i) => [`group_${i}`, group])),
    ignore: compactModuleList(modules.unquantized, universe, "compressed-tensors"),
    kv_cache_scheme: null,
    global_compression_ratio: null,
  };
}

function modelOptConfigs(modules: OutputModules, universe: string[]): QuantizationConfigs {
  if (modules.quantized.length === 0) return { quantizationConfig: undefined, hfQuantConfig: undefined };
  const exclude = compactModuleList(modules.unquantized, universe, "modelopt");
  // fp4kit is not ModelOpt; engines key on producer.name only to recognise the file layout.
  const producer = { name: "modelopt", version: `0.0.0+fp4kit.${FP4KIT_VERSION}` };
  return {
    quantizationConfig: {
      quant_method: "modelopt",
      quant_algo: "NVFP4",
      kv_cache_quant_algo: null,
      group_size: NVFP4_GROUP,
      ignore: exclude,
      producer,
    },
    hfQuantConfig: {
      producer,
      quantization: {
        quant_algo: "NVFP4",
        kv_cache_quant_algo: null,
        group_size: NVFP4_GROUP,
        exclude_modules: exclude,
      },
    },
  };
}
