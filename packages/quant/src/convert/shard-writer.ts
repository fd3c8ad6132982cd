/**
 * Writes one output shard: computed units come from the shard's lookahead (read and made ready
 * ahead, bounded by a byte budget), and units made of source bytes are read straight into the
 * writer's staging blocks. FP8 → NVFP4 units are quantized at their turn into the staging blocks
 * themselves, several in flight, so their outputs are never copied; other computed outputs are
 * copied in by the shard's staging worker. The same worker takes the SHA-256 of the file from the
 * exact bytes written (header included), block by block as each block is written. The shard
 * appears under its final name only when complete (SafetensorsWriter writes `<file>.partial` and
 * renames it on finish), and its hash is known only after that, so a manifest entry never names
 * an unfinished file.
 */
import { join } from "node:path";
import type { Mxfp4TensorQuality, TensorQuality } from "../quality/report.ts";
import { SafetensorsWriter } from "../safetensors/writer.ts";
import { ConvertError } from "./errors.ts";
import { HostLock } from "./host-lock.ts";
import { Lookahead } from "./lookahead.ts";
import type { OutputShard, OutputUnit } from "./output-layout.ts";
import type { SourceReader } from "./source-reader.ts";
import type { StagingWorker } from "./staging-worker.ts";
import type { UnitProducerContext } from "./unit-producer.ts";
import { isStreamed, streamUnit } from "./unit-streamer.ts";

/** HF writes {"format": "pt"}; transformers' loader checks it. */
export const SHARD_METADATA = { format: "pt" };
/**
 * Output staging per shard: 4 blocks of 8 MiB, so up to 3 large writes (and their hashing) are in
 * flight while the next block fills; larger blocks or more of them measured no faster. Blocks grow
 * to hold the shard's largest NVFP4 unit quantized in place, with a page to spare, up to 16 MiB
 * (a V4-Pro expert's outputs are 12.4 MB); larger units are quantized into pooled buffers and
 * copied in, so staging stays at most 64 MiB a shard.
 */
const MIN_STAGING_BLOCK_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_STAGING_BLOCK_BYTES = 16 * 1024 * 1024;
const STAGING_BLOCKS = 4;
const PAGE_BYTES = 4096;

export interface ShardWriterContext {
  dst: string;
  reader: SourceReader;
  /** Produces the computed units; shared by all shards of the run. */
  producer: UnitProducerContext;
  /** Bytes of computed units each shard in flight may hold (see `cost`). */
  lookaheadBytes: number;
  /** NVFP4 units whose outputs and a page fit in this many bytes are quantized in place. */
  maxStagingBlockBytes: number;
  signal: AbortSignal | undefined;
  onUnitWritten: (unit: OutputUnit) => void;
}

export interface WrittenShard {
  file: string;
  bytes: number;
  sha256: string;
  quality: TensorQuality[];
  mxfp4: Mxfp4TensorQuality[];
}

/** @param worker the shard's own staging worker, used by no other shard until this one settles */
export async function writeShard(
  ctx: ShardWriterContext,
  shard: OutputShard,
  worker: StagingWorker,
): Promise<WrittenShard> {
  const ahead = new Lookahead(ctx.producer, shard, ctx.lookaheadBytes);
  const blockBytes = stagingBlockBytes(shard, ctx.maxStagingBlockBytes);
  const writer = await SafetensorsWriter.create(
    join(ctx.dst, shard.file),
    shard.units.flatMap((u) => u.outputs),
    {
      metadata: SHARD_METADATA,
      bufferBytes: blockBytes,
      buffers: STAGING_BLOCKS,
      directIo: true,
      onBlock: (bytes) => worker.hash(bytes),
      copy: (source, target) => worker.copy(source, target),
    },
  ).catch((error: unknown) => {
    ahead.stop();
    throw error;
  });
  // With a GPU kernel, outputs quantized in place are copied into the blocks by DMA.
  const locking = ctx.producer.kernel.hostMemory;
  const staging = locking === undefined ? undefined : new HostLock(locking, writer.stagingMemory);
  // In unit order; units quantized in place resolve theirs when their kernel call ends.
  const quality: Promise<TensorQuality>[] = [];
  const mxfp4: Mxfp4TensorQuality[] = [];
  const inPlace: Promise<unknown>[] = [];
  try {
    for (const unit of shard.units) {
      throwIfAborted(ctx.signal);
      if (isStreamed(unit)) {
        await streamUnit(ctx.reader, unit, writer);
        ctx.onUnitWritten(unit);
        continue;
      }
      const produced = await ahead.take(unit);
      if (produced.kind === "quantize" && fitsInPlace(unit, ctx.maxStagingBlockBytes)) {
        const { filled } = await writer.writeInPlace(
          unit.outputs.map((o) => o.name),
          produced.quantizeInto,
        );
        const written = filled.finally(() => ahead.done(unit));
        written.then(
          () => ctx.onUnitWritten(unit),
          () => undefined,
        );
        quality.push(written);
        inPlace.push(written);
        continue;
      }
      if (produced.kind === "quantize") {
        const outputs = unit.outputs.map((o) => ctx.producer.pool.take(o.bytes));
        const quantized = produced.quantizeInto(outputs);
        quality.push(quantized);
        await quantized;
        for (const [k, out] of unit.outputs.entries()) {
          await writer.write(out.name, outputs[k] as Uint8Array);
          ctx.producer.pool.give(outputs[k] as Uint8Array);
        }
      } else {
        for (const [k, out] of unit.outputs.entries())
          await writer.write(out.name, produced.data[k] as Uint8Array);
        produced.release();
        if (produced.mxfp4 !== undefined) mxfp4.push(produced.mxfp4);
      }
      ahead.done(unit);
      ctx.onUnitWritten(unit);
    }
    const { bytes } = await writer.finish();
    await staging?.release();
    return {
      file: shard.file,
      bytes,
      sha256: await worker.digest(),
      quality: await Promise.all(quality),
      mxfp4,
    };
  } catch (error) {
    ahead.stop();
    // Kernels still writing into the staging blocks finish before the file is removed.
    await Promise.allSettled(inPlace);
    await writer.abort();
    await staging?.release();
    throw error;
  }
}

/** Staging blocks big enough for the shard's largest unit that can be quantized in place. */
function stagingBlockBytes(shard: OutputShard, maxBlockBytes: number): number {
  let largest = 0;
  for (const unit of shard.units)
    if (fitsInPlace(unit, maxBlockBytes)) largest = Math.max(largest, unit.outputBytes);
  return Math.max(MIN_STAGING_BLOCK_BYTES, (Math.ceil(largest / PAGE_BYTES) + 1) * PAGE_BYTES);
}

/** An NVFP4 unit whose outputs fit in a staging block of `blockBytes` with a page to spare. */
function fitsInPlace(unit: OutputUnit, blockBytes: number): boolean {
  return unit.kind === "quantize" && unit.outputBytes + PAGE_BYTES <= blockBytes;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ConvertError("ABORTED", "conversion aborted; complete shards are kept and a re-run resumes");
}
