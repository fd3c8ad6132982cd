/**
 * Writes one output shard: computed units are produced ahead (bounded by a byte budget) while
 * earlier ones are written, copies are streamed from the source, and the SHA-256 of the file is
 * taken from the exact bytes written (header included). The shard appears under its final name
 * only when complete (SafetensorsWriter writes `<file>.partial` and renames it on finish).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { TensorQuality } from "../quality/report.ts";
import { encodeHeader } from "../safetensors/header.ts";
import { SafetensorsWriter } from "../safetensors/writer.ts";
import { ByteBudget } from "./byte-budget.ts";
import { ConvertError } from "./errors.ts";
import type { CopyUnit, OutputShard, OutputUnit } from "./output-layout.ts";
import {
  type ComputedUnit,
  type ProducedUnit,
  produceUnit,
  type UnitProducerContext,
} from "./unit-producer.ts";

/** HF writes {"format": "pt"}; transformers' loader checks it. */
export const SHARD_METADATA = { format: "pt" };
const COPY_CHUNK_BYTES = 8 * 1024 * 1024;

export interface ShardWriterContext extends UnitProducerContext {
  dst: string;
  memoryBudgetBytes: number;
  signal: AbortSignal | undefined;
  onUnitWritten: (unit: OutputUnit) => void;
}

export interface WrittenShard {
  file: string;
  bytes: number;
  sha256: string;
  quality: TensorQuality[];
}

export async function writeShard(ctx: ShardWriterContext, shard: OutputShard): Promise<WrittenShard> {
  const declarations = shard.units.flatMap((u) => u.outputs);
  const hash = createHash("sha256");
  // The writer encodes the same header from the same declarations; hash it here, byte for byte.
  hash.update(encodeHeader(declarations, SHARD_METADATA).bytes);
  const writer = await SafetensorsWriter.create(join(ctx.dst, shard.file), declarations, {
    metadata: SHARD_METADATA,
  });
  const ahead = new Lookahead(ctx, shard.units);
  const quality: TensorQuality[] = [];
  const copyBuffer = new Uint8Array(COPY_CHUNK_BYTES);
  try {
    for (const [i, unit] of shard.units.entries()) {
      throwIfAborted(ctx.signal);
      if (unit.kind === "copy") {
        await streamCopy(ctx, unit, writer, hash, copyBuffer);
      } else {
        const produced = await ahead.take(i);
        for (const [k, out] of unit.outputs.entries()) {
          const data = produced.data[k] as Uint8Array;
          hash.update(data);
          await writer.write(out.name, data);
        }
        produced.release();
        ahead.done(unit);
        if (produced.quality !== undefined) quality.push(produced.quality);
      }
      ctx.onUnitWritten(unit);
    }
    const { bytes } = await writer.finish();
    return { file: shard.file, bytes, sha256: hash.digest("hex"), quality };
  } catch (error) {
    ahead.stop();
    await writer.abort();
    throw error;
  }
}

async function streamCopy(
  ctx: ShardWriterContext,
  unit: CopyUnit,
  writer: SafetensorsWriter,
  hash: ReturnType<typeof createHash>,
  buffer: Uint8Array,
): Promise<void> {
  for (const [k, source] of unit.sources.entries()) {
    const name = (unit.outputs[k] as { name: string }).name;
    for await (const chunk of ctx.reader.chunks(source, buffer)) {
      hash.update(chunk);
      await writer.write(name, chunk);
    }
  }
}

/**
 * Starts producing computed units in order, as far ahead as the byte budget allows, so reading
 * and computing unit k+1 overlaps writing unit k. Each unit's result is held only until the
 * writer takes it: both references (promise and resolver) are dropped once used.
 */
class Lookahead {
  private readonly results: (Promise<ProducedUnit> | undefined)[];
  private readonly resolvers: (((p: Promise<ProducedUnit>) => void) | undefined)[];
  private readonly budget: ByteBudget;
  private stopped = false;

  constructor(
    private readonly ctx: ShardWriterContext,
    private readonly units: readonly OutputUnit[],
  ) {
    this.resolvers = [];
    this.results = units.map((_, i) => {
      const promise = new Promise<ProducedUnit>((resolve) => {
        this.resolvers[i] = resolve;
      });
      // A result after a failure is never taken; its rejection must not surface as unhandled.
      promise.catch(() => undefined);
      return promise;
    });
    this.budget = new ByteBudget(ctx.memoryBudgetBytes);
    void this.launch();
  }

  take(index: number): Promise<ProducedUnit> {
    const result = this.results[index];
    if (result === undefined) throw new Error(`unit ${index} of the shard was taken twice`);
    this.results[index] = undefined;
    return result;
  }

  done(unit: OutputUnit): void {
    this.budget.release(cost(unit));
  }

  stop(): void {
    this.stopped = true;
  }

  private async launch(): Promise<void> {
    for (const [i, unit] of this.units.entries()) {
      if (unit.kind === "copy") continue;
      await this.budget.acquire(cost(unit));
      if (this.stopped) return;
      this.resolvers[i]?.(produceUnit(this.ctx, unit as ComputedUnit));
      this.resolvers[i] = undefined;
    }
  }
}

/** Memory a computed unit holds while in flight: its source bytes and its outputs. */
function cost(unit: OutputUnit): number {
  return unit.sourceBytes + unit.outputBytes;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ConvertError("ABORTED", "conversion aborted; complete shards are kept and a re-run resumes");
}
