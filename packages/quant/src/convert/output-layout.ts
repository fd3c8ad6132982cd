/**
 * The output checkpoint, decided before any tensor data is read: which output tensors each source
 * tensor becomes (a "unit": everything made from one weight or tensor, always written together),
 * in source order, and which shard each unit goes to. Everything here is a pure function of the
 * plan and the options, so shard N's bytes never depend on timing, workers or kernel, and a
 * resumed run writes exactly the shards an uninterrupted one would.
 */
import type { OutputFormat } from "@fp4kit/protocol";
import type { CheckpointPlan } from "../rules/plan.ts";
import { NVFP4_GROUP } from "../rules/plan.ts";
import type { TensorPlan } from "../rules/types.ts";
import { type Dtype, tensorByteLength } from "../safetensors/dtypes.ts";
import { shardFileName } from "../synthetic/generate.ts";

export interface OutputTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: number;
}

interface UnitBase {
  /** Position in the output (units are written in this order). */
  index: number;
  /** Source tensors the unit reads (a weight and its scale companion, or one tensor). */
  sources: TensorPlan[];
  sourceBytes: number;
  outputs: OutputTensor[];
  outputBytes: number;
}

/** Tensors written exactly as in the source (kept tensors, MXFP4 weights with their scales). */
export interface CopyUnit extends UnitBase {
  kind: "copy";
}

/** An FP8 block-scaled weight → NVFP4 (packed codes, E4M3 group scales, global scale[, input scale]). */
export interface QuantizeUnit extends UnitBase {
  kind: "quantize";
  weight: TensorPlan;
  scale: TensorPlan;
  module: string;
}

/** An FP8 weight kept as FP8 block (compressed-tensors group_1): weight as is, scale as F32 `weight_scale`. */
export interface KeepFp8Unit extends UnitBase {
  kind: "keep-fp8";
  weight: TensorPlan;
  scale: TensorPlan;
  module: string;
}

/** An FP8 weight kept unquantized in a format that has no FP8-block scheme: dequantized to BF16. */
export interface Fp8ToBf16Unit extends UnitBase {
  kind: "fp8-to-bf16";
  weight: TensorPlan;
  scale: TensorPlan;
  module: string;
}

export type OutputUnit = CopyUnit | QuantizeUnit | KeepFp8Unit | Fp8ToBf16Unit;

export interface OutputShard {
  /** e.g. model-00001-of-00004.safetensors */
  file: string;
  units: OutputUnit[];
  /** Tensor data bytes (without the header). */
  dataBytes: number;
  sourceBytes: number;
}

/** Module names by how the output stores them; quantization_config is written from these. */
export interface OutputModules {
  /** NVFP4. */
  quantized: string[];
  /** FP8 block weights kept as FP8 (compressed-tensors only). */
  fp8Block: string[];
  /** Linear-like weights (2-D `.weight`) kept unquantized, in their source dtype or as BF16. */
  unquantized: string[];
  /** Already-FP4 (MXFP4) weights copied as they are. */
  mxfp4: string[];
}

export interface OutputLayout {
  format: OutputFormat;
  units: OutputUnit[];
  shards: OutputShard[];
  /** Sum of all output tensor bytes: the index's metadata.total_size. */
  totalSize: number;
  modules: OutputModules;
}

const WEIGHT_SUFFIX = ".weight";

export function moduleOf(weightName: string): string {
  return weightName.endsWith(WEIGHT_SUFFIX) ? weightName.slice(0, -WEIGHT_SUFFIX.length) : weightName;
}

function output(name: string, dtype: Dtype, shape: number[]): OutputTensor {
  return { name, dtype, shape, bytes: tensorByteLength(dtype, shape) ?? 0 };
}

/** NVFP4 output tensors of one module, in the order they are written. */
export function nvfp4Outputs(
  format: OutputFormat,
  module: string,
  rows: number,
  cols: number,
): OutputTensor[] {
  const packed = [rows, cols / 2];
  const scales = [rows, cols / NVFP4_GROUP];
  if (format === "compressed-tensors") {
    return [
      output(`${module}.weight_packed`, "U8", packed),
      output(`${module}.weight_scale`, "F8_E4M3", scales),
      output(`${module}.weight_global_scale`, "F32", [1]),
    ];
  }
  return [
    output(`${module}.weight`, "U8", packed),
    output(`${module}.weight_scale`, "F8_E4M3", scales),
    output(`${module}.weight_scale_2`, "F32", []),
    output(`${module}.input_scale`, "F32", []),
  ];
}

export function planOutputLayout(
  plan: CheckpointPlan,
  format: OutputFormat,
  shardSizeBytes: number,
): OutputLayout {
  const units: OutputUnit[] = [];
  const modules: OutputModules = { quantized: [], fp8Block: [], unquantized: [], mxfp4: [] };
  const perTensorScaled = new Set(plan.fp8Block.perTensorScaled);

  for (const tensor of plan.tensors) {
    // Scale companions are read and written by their weight's unit.
    if (tensor.role === "scale") continue;
    const scale = tensor.scale === undefined ? undefined : (plan.byName.get(tensor.scale.name) as TensorPlan);
    const index = units.length;
    const module = moduleOf(tensor.name);
    if (tensor.action === "quantize" && scale !== undefined) {
      const [rows = 0, cols = 0] = tensor.shape;
      units.push(
        unit(
          { kind: "quantize", index, weight: tensor, scale, module },
          [tensor, scale],
          nvfp4Outputs(format, module, rows, cols),
        ),
      );
      modules.quantized.push(module);
    } else if (tensor.sourceFormat === "fp8-block" && scale !== undefined) {
      const keepAsFp8 = format === "compressed-tensors" && !perTensorScaled.has(tensor.name);
      if (keepAsFp8) {
        const outputs = [
          output(tensor.name, tensor.dtype, tensor.shape),
          output(`${module}.weight_scale`, "F32", scale.shape),
        ];
        units.push(
          unit({ kind: "keep-fp8", index, weight: tensor, scale, module }, [tensor, scale], outputs),
        );
        modules.fp8Block.push(module);
      } else {
        units.push(
          unit(
            { kind: "fp8-to-bf16", index, weight: tensor, scale, module },
            [tensor, scale],
            [output(tensor.name, "BF16", tensor.shape)],
          ),
        );
        modules.unquantized.push(module);
      }
    } else {
      const sources = scale === undefined ? [tensor] : [tensor, scale];
      units.push(
        unit(
          { kind: "copy", index },
          sources,
          sources.map((s) => output(s.name, s.dtype, s.shape)),
        ),
      );
      if (tensor.sourceFormat === "mxfp4") modules.mxfp4.push(module);
      else if (isLinearWeight(tensor)) modules.unquantized.push(module);
    }
  }
  const shards = assignShards(units, shardSizeBytes);
  return { format, units, shards, totalSize: units.reduce((s, u) => s + u.outputBytes, 0), modules };
}

/** A 2-D `.weight` that is not a lookup table: what engines build a Linear for. */
function isLinearWeight(t: TensorPlan): boolean {
  return t.name.endsWith(WEIGHT_SUFFIX) && t.shape.length === 2 && t.category !== "embedding";
}

function unit<T extends Omit<OutputUnit, "sources" | "sourceBytes" | "outputs" | "outputBytes">>(
  base: T,
  sources: TensorPlan[],
  outputs: OutputTensor[],
): T & UnitBase {
  return {
    ...base,
    sources,
    sourceBytes: sources.reduce((s, t) => s + t.bytes, 0),
    outputs,
    outputBytes: outputs.reduce((s, o) => s + o.bytes, 0),
  };
}

/**
 * Greedy, in unit order: a shard is closed when the next unit would take it past the target.
 * A unit is never split, so one larger than the target gets a shard of its own.
 */
function assignShards(units: OutputUnit[], shardSizeBytes: number): OutputShard[] {
  const groups: OutputUnit[][] = [];
  let current: OutputUnit[] = [];
  let bytes = 0;
  for (const u of units) {
    if (current.length > 0 && bytes + u.outputBytes > shardSizeBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(u);
    bytes += u.outputBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((g, i) => ({
    file: shardFileName(i, groups.length),
    units: g,
    dataBytes: g.reduce((s, u) => s + u.outputBytes, 0),
    sourceBytes: g.reduce((s, u) => s + u.sourceBytes, 0),
  }));
}
