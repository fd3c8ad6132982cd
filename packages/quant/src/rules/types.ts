/**
 * Classification as data: a preset is an ordered list of name rules plus the fused groups engines
 * build. `planCheckpoint` applies a preset to a checkpoint and yields one `TensorPlan` per tensor.
 */
import type { ModelFamily, TensorCategory } from "@fp4kit/protocol";
import type { Dtype } from "../safetensors/dtypes.ts";

export { MODEL_FAMILIES, type ModelFamily, TENSOR_CATEGORIES, type TensorCategory } from "@fp4kit/protocol";

/** What Path A does with a tensor. */
export type TensorAction =
  /**
   * → NVFP4 (packed E2M1 + E4M3 group scales + global scale): an FP8 block-scaled weight is
   * quantized, an MXFP4 weight re-expressed (codes kept, scales converted).
   */
  | "quantize"
  /** Copied bit for bit (its scale companion too, if it has one). */
  | "preserve"
  /** Not written: the FP8 scale of a weight that is quantized (NVFP4 scales replace it). */
  | "drop";

/** A name rule. The first rule whose pattern matches a tensor name decides category and intent. */
export interface Rule {
  name: string;
  pattern: RegExp;
  category: TensorCategory;
  action: "quantize" | "preserve";
  why: string;
}

/**
 * Weights an engine merges into one GEMM (e.g. an expert's w1+w3): they must share one NVFP4
 * global scale. `groupKey` is a replacement string for `name.replace(pattern, groupKey)`.
 */
export interface FusedGroupRule {
  name: string;
  pattern: RegExp;
  groupKey: string;
}

export interface PresetOptions {
  /** Put attention projections on NVFP4 too. Default: false for V4, true for V3/V3.2. */
  quantizeAttention?: boolean;
  /** Put shared experts on NVFP4 (default true); layouts that quantize routed experts only turn it off. */
  quantizeSharedExperts?: boolean;
  /** Extra regexes (sources or RegExp) of tensor names to keep as they are. */
  ignore?: readonly (string | RegExp)[];
}

export interface Preset {
  id: ModelFamily;
  description: string;
  /** The options it was built with, defaults resolved. */
  options: { quantizeAttention: boolean; quantizeSharedExperts: boolean; ignore: RegExp[] };
  rules: Rule[];
  fusedGroups: FusedGroupRule[];
}

/** How a weight is stored in the source. */
export type SourceFormat =
  /** F8_E4M3 + block scale companion (F32 or E8M0). */
  | "fp8-block"
  /** Packed E2M1 pairs (U8/I8) + E8M0 scales per 32 elements: already FP4, re-expressed as NVFP4. */
  | "mxfp4"
  /** Anything else (BF16, F32, integers, ...), or a scale companion. */
  | "plain";

export interface ScaleCompanion {
  name: string;
  dtype: Dtype;
  shape: number[];
  /**
   * Block [rows, cols] of weight elements one scale element covers (per-tensor scale: the whole
   * weight; MXFP4: [1, 32] E2M1 values).
   */
  block: [number, number];
}

export interface TensorPlan {
  name: string;
  /** Shard file holding it. */
  file: string;
  dtype: Dtype;
  shape: number[];
  bytes: number;
  /** weight = has a scale companion; scale = is one; tensor = everything else. */
  role: "weight" | "scale" | "tensor";
  sourceFormat: SourceFormat;
  category: TensorCategory;
  action: TensorAction;
  /** Name of the rule that decided `action`. */
  rule: string;
  why: string;
  /** On weights: the scale companion. */
  scale?: ScaleCompanion;
  /** On scale companions: the weight it scales. */
  scaleOf?: string;
  /** On weights that engines fuse with others: the group key shared by all members. */
  fusedGroup?: string;
  /** Bytes this tensor occupies in the NVFP4 output (0 when dropped). `shape` is the stored one: [out, in/2] for MXFP4. */
  projectedBytes: number;
}
