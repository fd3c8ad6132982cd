/**
 * The output checkpoint, decided before any tensor data is read: which output tensors each source
 * tensor becomes (a "unit": everything made from one weight or tensor, always written together),
 * in source order, and which shard each unit goes to. Everything here is a pure function of the
 * plan and the options, so shard N's bytes never depend on timing, workers or kernel, and a
 * resumed run writes exactly the shards an uninterrupted one would.
 */
import { tensor as output } from "../formats/tensors.ts";
import type { OutputFormatModule, OutputModules, OutputTensor } from "../formats/types.ts";
import type { CheckpointPlan } from "../rules/plan.ts";
import { logicalShape } from "../rules/plan.ts";
import type { TensorPlan } from "../rules/types.ts";
import { shardFileName } from "../synthetic/generate.ts";

export type { OutputModules, OutputTensor };

interface UnitBase {
  /** Position in the output (units are written in this order). */
  index: number;
  /** Source tensors the unit reads (a weight and its scale companion, or one tensor). */
  sources: TensorPlan[];
  sourceBytes: number;
  outputs: OutputTensor[];
  outputBytes: number;
}

/**
 * Tensors written exactly as in the source (kept tensors, MXFP4 weights with their scales, and
 * FP8 weights with their scale companion where the format keeps the source's FP8 layout).
 */
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

/** An MXFP4 weight → NVFP4: codes kept, E8M0 block scales re-expressed (same outputs as QuantizeUnit). */
export interface ReexpressUnit extends UnitBase {
  kind: "mxfp4-to-nvfp4";
  weight: TensorPlan;
  scale: TensorPlan;
  module: string;
}

/** An FP8 weight kept as FP8 block (compressed-tensors): weight as is, scale as F32 `weight_scale`. */
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

export type OutputUnit = CopyUnit | QuantizeUnit | ReexpressUnit | KeepFp8Unit | Fp8ToBf16Unit;

export interface OutputShard {
  /** e.g. model-00001-of-00004.safetensors */
  file: string;
  units: OutputUnit[];
  /** Tensor data bytes (without the header). */
  dataBytes: number;
  sourceBytes: number;
}

export interface OutputLayout {
  format: OutputFormatModule["id"];
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

export function planOutputLayout(
  plan: CheckpointPlan,
  format: OutputFormatModule,
  shardSizeBytes: number,
  /** Kept FP8 modules the target engine builds as unquantized Linears: written as BF16. */
  unquantizedModules: readonly RegExp[] = [],
): OutputLayout {
  const units: OutputUnit[] = [];
  const modules: OutputModules = { quantized: [], fp8Block: [], unquantized: [], mxfp4: [] };
  const perTensorScaled = new Set(plan.fp8Block.perTensorScaled);
  const keptFp8 = format.keptFp8(plan.family.family);

  for (const tensor of plan.tensors) {
    // Scale companions are read and written by their weight's unit.
    if (tensor.role === "scale") continue;
    const scale = tensor.scale === undefined ? undefined : (plan.byName.get(tensor.scale.name) as TensorPlan);
    const index = units.length;
    const module = moduleOf(tensor.name);
    if (tensor.action === "quantize" && scale !== undefined) {
      const kind = tensor.sourceFormat === "mxfp4" ? "mxfp4-to-nvfp4" : "quantize";
      units.push(
        unit(
          { kind, index, weight: tensor, scale, module },
          [tensor, scale],
          format.nvfp4Outputs(module, ...logicalShape(tensor)),
        ),
      );
      modules.quantized.push(module);
    } else if (tensor.sourceFormat === "fp8-block" && scale !== undefined) {
      // A per-tensor scale is not the block scheme the config describes: such weights become BF16.
      const bf16 = perTensorScaled.has(tensor.name) || unquantizedModules.some((re) => re.test(module));
      const storage = bf16 ? "bf16" : keptFp8;
      if (storage === "source") {
        units.push(
          unit(
            { kind: "copy", index },
            [tensor, scale],
            [output(tensor.name, tensor.dtype, tensor.shape), output(scale.name, scale.dtype, scale.shape)],
          ),
        );
        modules.fp8Block.push(module);
      } else if (storage === "fp8-block") {
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
  return {
    format: format.id,
    units,
    shards,
    totalSize: units.reduce((s, u) => s + u.outputBytes, 0),
    modules,
  };
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
