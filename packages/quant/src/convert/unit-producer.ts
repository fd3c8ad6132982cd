/**
 * Makes the units that need computing (NVFP4 quantization, MXFP4 → NVFP4, FP8 → BF16) ahead of
 * their turn. FP8 → NVFP4 units are made ready (weight read, global scale known) and quantized at
 * their turn, straight into the writer's staging blocks; the others' outputs are made ahead into
 * pooled buffers. Units made of source bytes are not produced: the shard writer streams them
 * (unit-streamer.ts).
 */
import type { OutputFormatModule } from "../formats/types.ts";
import type { Nvfp4Kernel } from "../nvfp4/kernel.ts";
import { reexpressMxfp4 } from "../nvfp4/mxfp4.ts";
import { relativeRmsError } from "../nvfp4/reference.ts";
import { layerOf, type Mxfp4TensorQuality, type TensorQuality } from "../quality/report.ts";
import { logicalShape } from "../rules/plan.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { BufferPool } from "./buffer-pool.ts";
import type { InputScales } from "./calibration.ts";
import type { ComputeQueue } from "./compute-queue.ts";
import type { Fp8Loader } from "./fp8-loader.ts";
import { fp8BlockToBf16 } from "./fp8-to-bf16.ts";
import type { GlobalScales } from "./global-scales.ts";
import type { Fp8ToBf16Unit, QuantizeUnit, ReexpressUnit } from "./output-layout.ts";
import { withTensorContext } from "./source-errors.ts";
import type { SourceReader } from "./source-reader.ts";

export type ComputedUnit = QuantizeUnit | ReexpressUnit | Fp8ToBf16Unit;

/**
 * What the lookahead hands the writer: the outputs themselves, or, for an FP8 → NVFP4 unit, the
 * weight and its global scale ready for the kernel, which writes the outputs straight into the
 * writer's staging blocks when the unit's turn comes (`quantizeInto`).
 */
export type ProducedUnit = ProducedBytes | ReadyToQuantize;

export interface ProducedBytes {
  kind: "bytes";
  /** One buffer per unit output, in order. */
  data: Uint8Array[];
  /** MXFP4 → NVFP4: exact and rounded groups. */
  mxfp4?: Mxfp4TensorQuality;
  /** Call once the outputs are written: pooled buffers go back to the pool. */
  release: () => void;
}

export interface ReadyToQuantize {
  kind: "quantize";
  /**
   * Quantizes into `targets`, one view per unit output in order (packed codes, block scales, then
   * the scalars), and gives the weight's buffer back to the pool. Call once.
   */
  quantizeInto: (targets: Uint8Array[]) => Promise<TensorQuality>;
}

export interface UnitProducerContext {
  format: OutputFormatModule;
  kernel: Nvfp4Kernel;
  compute: ComputeQueue;
  reader: SourceReader;
  pool: BufferPool;
  loader: Fp8Loader;
  globalScales: GlobalScales;
  inputScales: InputScales | undefined;
  fileOf: (tensor: TensorPlan) => string;
}

export async function produceUnit(ctx: UnitProducerContext, unit: ComputedUnit): Promise<ProducedUnit> {
  try {
    switch (unit.kind) {
      case "quantize":
        return await prepareQuantize(ctx, unit);
      case "mxfp4-to-nvfp4":
        return await reexpress(ctx, unit);
      case "fp8-to-bf16": {
        const t = await ctx.reader.readFp8(unit.weight, unit.scale);
        const bf16 = await ctx.compute.run(async () => fp8BlockToBf16(t), unit.index);
        ctx.pool.give(t.data);
        return { kind: "bytes", data: [bf16], release: () => undefined };
      }
    }
  } catch (error) {
    throw withTensorContext(error, unit.weight, ctx.fileOf(unit.weight));
  }
}

async function prepareQuantize(ctx: UnitProducerContext, unit: QuantizeUnit): Promise<ReadyToQuantize> {
  // The global scale first: resolving it reads this weight, which the loader then hands over.
  const gs = await ctx.globalScales.of(unit.weight, unit.index);
  const scalars = scalarOutputs(ctx, unit.module, gs);
  const t = await ctx.loader.take(unit.weight);
  const quantizeInto = async (targets: Uint8Array[]): Promise<TensorQuality> => {
    try {
      const [packed, blockScales, ...scalarTargets] = targets;
      for (const [k, bytes] of scalars.entries()) scalarTargets[k]?.set(bytes);
      const { stats } = await ctx.compute.run(
        () =>
          ctx.kernel.quantizeAsync(t, gs, {
            packed: packed as Uint8Array,
            blockScales: blockScales as Uint8Array,
          }),
        unit.index,
      );
      return {
        name: unit.weight.name,
        layer: layerOf(unit.weight.name),
        category: unit.weight.category,
        shape: unit.weight.shape,
        fusedGroup: unit.weight.fusedGroup ?? null,
        globalScale: gs,
        relRmsError: relativeRmsError(stats),
        maxAbsError: stats.maxAbsError,
        sumSqError: stats.sumSqError,
        sumSqRef: stats.sumSqRef,
        elements: stats.count,
      };
    } catch (error) {
      throw withTensorContext(error, unit.weight, ctx.fileOf(unit.weight));
    } finally {
      ctx.pool.give(t.data);
    }
  };
  return { kind: "quantize", quantizeInto };
}

/**
 * An MXFP4 weight: its packed codes are read into the buffer they are written from (only rounded
 * groups change), its E8M0 scales become E4M3 group scales under the fused group's gs = 2^G.
 */
async function reexpress(ctx: UnitProducerContext, unit: ReexpressUnit): Promise<ProducedUnit> {
  const gs = await ctx.globalScales.of(unit.weight, unit.index);
  const [packed, scales] = await Promise.all([
    ctx.reader.read(unit.weight),
    ctx.reader.readScaleBytes(unit.scale),
  ]);
  const [rows, cols] = logicalShape(unit.weight);
  const blockScales = ctx.pool.take(unit.outputs[1]?.bytes ?? 0);
  let stats: ReturnType<typeof reexpressMxfp4>;
  try {
    stats = reexpressMxfp4({ rows, cols, packed, scales }, Math.log2(gs), { packed, blockScales });
  } catch (error) {
    throw withTensorContext(error, unit.scale, ctx.fileOf(unit.scale));
  }
  const mxfp4: Mxfp4TensorQuality = {
    name: unit.weight.name,
    layer: layerOf(unit.weight.name),
    category: unit.weight.category,
    shape: [rows, cols],
    fusedGroup: unit.weight.fusedGroup ?? null,
    globalScale: gs,
    scaleExponents: stats.scaleExponents,
    groups: stats.groups,
    exactGroups: stats.exactGroups,
    subnormalScaleGroups: stats.subnormalScaleGroups,
    roundedGroups: stats.roundedGroups,
    firstRoundedGroups: stats.firstRoundedGroups,
    roundedRelRmsError: stats.sumSqRef === 0 ? 0 : Math.sqrt(stats.sumSqError / stats.sumSqRef),
    maxAbsError: stats.maxAbsError,
    sumSqError: stats.sumSqError,
    sumSqRef: stats.sumSqRef,
  };
  const release = () => {
    ctx.pool.give(packed);
    ctx.pool.give(blockScales);
  };
  return {
    kind: "bytes",
    data: [packed, blockScales, ...scalarOutputs(ctx, unit.module, gs)],
    mxfp4,
    release,
  };
}

/** The global scale (and, where the format needs one, the input scale) tensors of an NVFP4 module. */
function scalarOutputs(ctx: UnitProducerContext, module: string, gs: number): Uint8Array[] {
  const inputScale = ctx.format.needsInputScales ? ctx.inputScales?.scaleOf(module) : undefined;
  if (ctx.format.needsInputScales && inputScale === undefined)
    throw new Error(`${module}: ${ctx.format.id} output without input scales`);
  return ctx.format.nvfp4Scalars(gs, inputScale).map(f32Bytes);
}

function f32Bytes(value: number): Uint8Array {
  return new Uint8Array(new Float32Array([value]).buffer);
}
