/**
 * One output format behind one interface: what an NVFP4 Linear becomes (tensor names, dtypes,
 * shapes, scale encodings), what a kept FP8 Linear becomes, whether activation input scales are
 * needed, how module lists are written (pattern dialect), and the config and side files that
 * describe the output. The converter, `inspect` and the engine-contract tests read formats only
 * through this interface (src/formats/index.ts).
 */
import type { OutputFormat } from "@fp4kit/protocol";
import type { BlockSize } from "../rules/block-size.ts";
import type { ModelFamily, PresetOptions } from "../rules/types.ts";
import type { Dtype } from "../safetensors/dtypes.ts";
import type { PatternDialect } from "./module-patterns.ts";

export interface OutputTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: number;
}

/** What a Linear that stays FP8 in the source's block scaling is written as. */
export type KeptFp8Storage =
  /** Weight as is, scale as F32 `<m>.weight_scale` (compressed-tensors FP8 block scheme). */
  | "fp8-block"
  /** Dequantized to BF16 and listed as unquantized (a format with no FP8 scheme). */
  | "bf16"
  /** Weight and scale companion copied as they are (the FP8 checkpoint's own layout). */
  | "source";

/** Module names by how the output stores them; configs are written from these. */
export interface OutputModules {
  /** NVFP4 (quantized from FP8 or re-expressed from MXFP4). */
  quantized: string[];
  /** FP8 block weights kept as FP8. */
  fp8Block: string[];
  /** Linear-like weights (2-D `.weight`) kept unquantized, in their source dtype or as BF16. */
  unquantized: string[];
  /** MXFP4 weights a rule keeps: copied as they are. */
  mxfp4: string[];
}

/** A module name an engine asks its quantization config about, and the checkpoint modules behind it. */
export interface EngineModule {
  /** The name the engine passes to its quantization config ("" where it passes no prefix). */
  name: string;
  /** Checkpoint modules (weight names without `.weight`) whose tensors this engine module loads. */
  members: string[];
  /** linear: one Linear (maybe fused); moe: a fused-MoE layer, asked once per projection. */
  kind: "linear" | "moe";
}

export interface ConfigContext {
  family: ModelFamily;
  modules: OutputModules;
  fp8Block: BlockSize;
  /** The source's quantization_config (fields the engine still reads are carried over). */
  sourceQuantizationConfig: Record<string, unknown> | undefined;
  /** Module names the target engine asks about, where its contract lists them. */
  engineModules: readonly EngineModule[];
  /** quantization_config keys of the source the target engine reads on this family. */
  carryOverKeys: readonly string[];
}

export interface QuantizationConfigs {
  /** config.json's quantization_config; undefined = remove it (nothing quantized). */
  quantizationConfig: Record<string, unknown> | undefined;
  /** Top-level config.json fields set (or replaced) for the engine. */
  configFields: Record<string, unknown>;
  /** JSON side files by file name (hf_quant_config.json, quant_cfg.json). */
  sideFiles: Record<string, Record<string, unknown>>;
}

export interface OutputFormatModule {
  id: OutputFormat;
  /** Quantizes activations too: every NVFP4 Linear needs a calibrated activation input scale. */
  needsInputScales: boolean;
  dialect: PatternDialect;
  /** NVFP4 output tensors of one Linear, in the order they are written. */
  nvfp4Outputs(module: string, rows: number, cols: number): OutputTensor[];
  /** Values of the scalar tensors written after codes and block scales, in `nvfp4Outputs` order. */
  nvfp4Scalars(globalScale: number, inputScale: number | undefined): number[];
  keptFp8(family: ModelFamily): KeptFp8Storage;
  /** What this format's layout quantizes beyond the family preset's defaults. */
  presetOptions(family: ModelFamily): Pick<PresetOptions, "quantizeSharedExperts">;
  buildConfigs(ctx: ConfigContext): QuantizationConfigs;
}
