/**
 * Writes one output shard: computed units come from the shard's lookahead (produced ahead, bounded
 * by a byte budget), and units made of source bytes are read straight into the writer's staging
 * blocks. The shard's staging worker copies computed outputs into the staging blocks and takes
 * the SHA-256 of the file from the exact bytes written (header included), block by block as each
 * block is written. The shard appears under its final name only when complete (SafetensorsWriter
 * writes `<file>.partial` and renames it on finish), and its hash is known only after that, so a
 * manifest entry never names an unfinished file.
 */
import { join } from "node:path";
import type { Mxfp4TensorQuality, TensorQuality } from "../quality/report.ts";
import { SafetensorsWriter } from "../safetensors/writer.ts";
import { ConvertError } from "./errors.ts";
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
 * flight while the next block fills; larger blocks or more of them measured no faster.
 */
const STAGING_BLOCK_BYTES = 8 * 1024 * 1024;
const STAGING_BLOCKS = 4;

export interface ShardWriterContext {
  dst: string;
  reader: SourceReader;
  /** Produces the computed units; shared by all shards of the run. */
  producer: UnitProducerContext;
  /** Bytes of computed units each shard in flight may hold (see `cost`). */
  lookaheadBytes: number;
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
  const writer = await SafetensorsWriter.create(
    join(ctx.dst, shard.file),
    shard.units.flatMap((u) => u.outputs),
    {
      metadata: SHARD_METADATA,
      bufferBytes: STAGING_BLOCK_BYTES,
      buffers: STAGING_BLOCKS,
      directIo: true,
      onBlock: (bytes) => worker.hash(bytes),
      copy: (source, target) => worker.copy(source, target),
    },
  ).catch((error: unknown) => {
    ahead.stop();
    throw error;
  });
  const quality: TensorQuality[] = [];
  const mxfp4: Mxfp4TensorQuality[] = [];
  try {
    for (const unit of shard.units) {
      throwIfAborted(ctx.signal);
      if (isStreamed(unit)) {
        await streamUnit(ctx.reader, unit, writer);
      } else {
        const produced = await ahead.take(unit);
        for (const [k, out] of unit.outputs.entries())
          await writer.write(out.name, produced.data[k] as Uint8Array);
        produced.release();
        ahead.done(unit);
        if (produced.quality !== undefined) quality.push(produced.quality);
        if (produced.mxfp4 !== undefined) mxfp4.push(produced.mxfp4);
      }
      ctx.onUnitWritten(unit);
    }
    const { bytes } = await writer.finish();
    return { file: shard.file, bytes, sha256: await worker.digest(), quality, mxfp4 };
  } catch (error) {
    ahead.stop();
    await writer.abort();
    throw error;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ConvertError("ABORTED", "conversion aborted; complete shards are kept and a re-run resumes");
}
