/**
 * Loads FP8 weights for quantization and keeps the ones read early. A fused group's global scale
 * needs the amax of every member before any member is quantized, so resolving the group reads the
 * other members ahead of their turn; their data is retained (up to a byte cap) until their own
 * unit takes it, instead of being read twice.
 */
import type { Fp8BlockScaledTensor } from "../nvfp4/types.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { BufferPool } from "./buffer-pool.ts";
import type { SourceReader } from "./source-reader.ts";

export class Fp8Loader {
  private readonly retained = new Map<string, Promise<Fp8BlockScaledTensor>>();
  private retainedBytes = 0;

  /**
   * @param consumers weights whose quantize unit runs in this run and has not taken its data yet
   * @param retainCapBytes most bytes kept for later consumers
   */
  constructor(
    private readonly reader: SourceReader,
    private readonly scaleOf: (weight: TensorPlan) => TensorPlan,
    private readonly consumers: Set<string>,
    private readonly retainCapBytes: number,
    private readonly pool: BufferPool,
  ) {}

  /** For amax: may be retained for the weight's own unit. Call `amaxDone` after the amax. */
  load(weight: TensorPlan): Promise<Fp8BlockScaledTensor> {
    const kept = this.retained.get(weight.name);
    if (kept !== undefined) return kept;
    const loading = this.reader.readFp8(weight, this.scaleOf(weight));
    if (this.consumers.has(weight.name) && this.retainedBytes + weight.bytes <= this.retainCapBytes) {
      this.retained.set(weight.name, loading);
      this.retainedBytes += weight.bytes;
    }
    return loading;
  }

  /** The amax of a loaded weight is known: its buffer goes back to the pool unless retained. */
  amaxDone(weight: TensorPlan, t: Fp8BlockScaledTensor): void {
    if (!this.retained.has(weight.name)) this.pool.give(t.data);
  }

  /**
   * For the weight's own quantize unit: the retained data if any (then forgotten), else a fresh
   * read. The unit gives the data buffer back to the pool when done.
   */
  take(weight: TensorPlan): Promise<Fp8BlockScaledTensor> {
    this.consumers.delete(weight.name);
    const kept = this.retained.get(weight.name);
    if (kept === undefined) return this.reader.readFp8(weight, this.scaleOf(weight));
    this.retained.delete(weight.name);
    this.retainedBytes -= weight.bytes;
    return kept;
  }
}
