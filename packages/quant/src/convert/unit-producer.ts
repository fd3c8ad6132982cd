/**
 * Makes the output bytes of the units that need computing (NVFP4 quantization, FP8 → BF16), ahead
 * of their turn. Units made of source bytes are not produced: the shard writer streams them
 * (unit-streamer.ts).
 */
import type { OutputFormatModule } from "../formats/types.ts";
import type { Nvfp4Kernel } from "../nvfp4/kernel.ts";
import { relativeRmsError } from "../nvfp4/reference.ts";
import { layerOf, type TensorQuality } from "../quality/report.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { BufferPool } from "./buffer-pool.ts";
import type { InputScales } from "./calibration.ts";
import type { ComputeQueue } from "./compute-queue.ts";
import type { Fp8Loader } from "./fp8-loader.ts";
import { fp8BlockToBf16 } from "./fp8-to-bf16.ts";
import type { GlobalScales } from "./global-scales.ts";
import type { Fp8ToBf16Unit, QuantizeUnit } from "./output-layout.ts";
import { withTensorContext } from "./source-errors.ts";
import type { SourceReader } from "./source-reader.ts";

export type ComputedUnit = QuantizeUnit | Fp8ToBf16Unit;

export interface ProducedUnit {
  /** One buffer per unit output, in order. */
  data: Uint8Array[];
  quality: TensorQuality | undefined;
  /** Call once the outputs are written: pooled buffers go back to the pool. */
  release: () => void;
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
        return await quantize(ctx, unit);
      case "fp8-to-bf16": {
        const t = await ctx.reader.readFp8(unit.weight, unit.scale);
        const bf16 = await ctx.compute.run(async () => fp8BlockToBf16(t), unit.index);
        ctx.pool.give(t.data);
        return { data: [bf16], quality: undefined, release: () => undefined };
      }
    }
  } catch (error) {
    throw withTensorContext(error, unit.weight, ctx.fileOf(unit.weight));
  }
}

async function quantize(ctx: UnitProducerContext, unit: QuantizeUnit): Promise<ProducedUnit> {
  // The global scale first: resolving it reads this weight, which the loader then hands over.
  const gs = await ctx.globalScales.of(unit.weight, unit.index);
  const t = await ctx.loader.take(unit.weight);
  const [packedOut, scalesOut] = unit.outputs;
  const packed = ctx.pool.take(packedOut?.bytes ?? 0);
  const blockScales = ctx.pool.take(scalesOut?.bytes ?? 0);
  const { stats } = await ctx.compute.run(
    () => ctx.kernel.quantizeAsync(t, gs, { packed, blockScales }),
    unit.index,
  );
  ctx.pool.give(t.data);
  const inputScale = ctx.format.needsInputScales ? ctx.inputScales?.scaleOf(unit.module) : undefined;
  if (ctx.format.needsInputScales && inputScale === undefined)
    throw new Error(`${unit.module}: ${ctx.format.id} output without input scales`);
  const data = [packed, blockScales, ...ctx.format.nvfp4Scalars(gs, inputScale).map(f32Bytes)];
  const quality: TensorQuality = {
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
  const release = () => {
    ctx.pool.give(packed);
    ctx.pool.give(blockScales);
  };
  return { data, quality, release };
}

function f32Bytes(value: number): Uint8Array {
  return new Uint8Array(new Float32Array([value]).buffer);
}
