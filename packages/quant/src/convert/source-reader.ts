/**
 * Reads source tensors for the converter: whole tensors into pooled buffers of their own (offset 0,
 * so typed-array views are aligned; give them back to the pool when done), scale companions decoded
 * to float32, and byte ranges into a caller's buffer for tensors copied as they are. Each source
 * shard is opened once and kept open until `close()`.
 */
import { E8M0_NAN, e8m0ToFloat } from "../codecs/e8m0.ts";
import type { Fp8BlockScaledTensor } from "../nvfp4/types.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { Checkpoint } from "../safetensors/checkpoint.ts";
import { CheckpointFormatError } from "../safetensors/errors.ts";
import type { SafetensorsReader } from "../safetensors/reader.ts";
import type { BufferPool } from "./buffer-pool.ts";
import { ComputeQueue } from "./compute-queue.ts";

/** Decoded E8M0 exponents: every byte is a power of two, exact in float32 (0xff is NaN). */
const E8M0_TO_FLOAT = Float32Array.from({ length: 256 }, (_, b) =>
  b === E8M0_NAN ? Number.NaN : e8m0ToFloat(b),
);

/**
 * Whole-weight reads in flight at once, in call order. The lookahead asks for many tensors at once;
 * all of them in parallel would share the cores and finish together, so the first kernel call
 * would wait for the whole window (and every buffer would be touched at once). A few at a time
 * deliver them in the order they are needed and still keep a core copying.
 */
const READS_IN_FLIGHT = 4;

export class SourceReader {
  private readonly readers = new Map<string, Promise<SafetensorsReader>>();
  private readonly reads = new ComputeQueue(READS_IN_FLIGHT);
  private closed: Error | undefined;

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly pool: BufferPool,
  ) {}

  /** The tensor's bytes in a pooled buffer of its own; queued behind the reads asked for earlier. */
  read(tensor: TensorPlan): Promise<Uint8Array> {
    return this.reads.run(() => this.readWhole(tensor));
  }

  /**
   * A scale companion as float32 multipliers (F32 as stored, E8M0 decoded exactly). Scales are
   * small and read at once, not queued: the writer reads some itself and must not wait for the
   * lookahead's reads.
   */
  async readScale(scale: TensorPlan): Promise<Float32Array> {
    const bytes = await this.readWhole(scale);
    if (scale.dtype === "F32") return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    if (scale.dtype === "F8_E8M0") return Float32Array.from(bytes, (b) => E8M0_TO_FLOAT[b] as number);
    throw new CheckpointFormatError({
      file: this.checkpoint.shardPath(scale.file),
      tensor: scale.name,
      expected: "an F32 or F8_E8M0 block scale",
      found: scale.dtype,
    });
  }

  /** A scale companion's bytes as stored (E8M0 exponents of MXFP4 weights); read at once, like readScale. */
  readScaleBytes(scale: TensorPlan): Promise<Uint8Array> {
    return this.readWhole(scale);
  }

  /** An FP8 weight with its block scale, ready for an NVFP4 kernel. */
  async readFp8(weight: TensorPlan, scale: TensorPlan): Promise<Fp8BlockScaledTensor> {
    const block = weight.scale?.block;
    if (block === undefined) throw new Error(`${weight.name}: planned as FP8 without a scale companion`);
    const [data, scaleValues] = await Promise.all([this.read(weight), this.readScale(scale)]);
    const [rows = 0, cols = 0] = weight.shape;
    return { data, rows, cols, scale: scaleValues, blockRows: block[0], blockCols: block[1] };
  }

  /** The path of the source file holding `tensor` (for messages). */
  pathOf(tensor: TensorPlan): string {
    return this.checkpoint.shardPath(tensor.file);
  }

  /** Fills `target` with the tensor's bytes from `offset` on (e.g. straight into the writer's staging). */
  async readInto(tensor: TensorPlan, offset: number, target: Uint8Array): Promise<void> {
    const reader = await this.reader(tensor.file);
    await reader.readRange(tensor.name, offset, target.length, target);
  }

  private async readWhole(tensor: TensorPlan): Promise<Uint8Array> {
    const reader = await this.reader(tensor.file);
    const out = this.pool.take(tensor.bytes);
    await reader.readRange(tensor.name, 0, tensor.bytes, out);
    return out;
  }

  /** Starts no more reads, waits for those in flight, then closes the source files. */
  async close(): Promise<void> {
    this.closed = new Error("the conversion stopped before this tensor was read");
    await this.reads.close(this.closed);
    const readers = [...this.readers.values()];
    this.readers.clear();
    await Promise.all(readers.map(async (r) => (await r).close()));
  }

  private reader(file: string): Promise<SafetensorsReader> {
    // After close, a late read (a scale of a unit that was under way) must not reopen a file.
    if (this.closed) return Promise.reject(this.closed);
    let reader = this.readers.get(file);
    if (reader === undefined) {
      reader = this.checkpoint.openShard(file);
      this.readers.set(file, reader);
    }
    return reader;
  }
}
