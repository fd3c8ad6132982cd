/**
 * Loads FP8 weights for quantization and keeps the ones read before their unit takes them. A
 * weight's global scale needs its amax before it is quantized, so the amax pass reads the weight
 * and the data is kept for the quantize pass instead of being read twice. A fused group's global
 * scale needs the amax of every member, so resolving the group reads the other members ahead of
 * their turn; their data is kept too, up to a byte cap (the lookahead budget already counts a
 * unit's own weight, not the members it reads early).
 */
import type { Fp8BlockScaledTensor } from "../nvfp4/types.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { BufferPool } from "./buffer-pool.ts";
import type { SourceReader } from "./source-reader.ts";

interface Retained {
  tensor: Promise<Fp8BlockScaledTensor>;
  /** Bytes counted against the cap: 0 for a weight loaded by its own unit. */
  counted: number;
}

export class Fp8Loader {
  private readonly retained = new Map<string, Retained>();
  private retainedBytes = 0;

  /**
   * @param consumers weights whose quantize unit runs in this run and has not taken its data yet
   * @param retainCapBytes most bytes kept for group members read ahead of their turn
   */
  constructor(
    private readonly reader: SourceReader,
    private readonly scaleOf: (weight: TensorPlan) => TensorPlan,
    private readonly consumers: Set<string>,
    private readonly retainCapBytes: number,
    private readonly pool: BufferPool,
  ) {}

  /**
   * For amax: may be retained for the weight's own unit. Call `amaxDone` after the amax.
   * @param byOwnUnit the weight's own unit asks (its data is in that unit's budget), not a group member's
   */
  load(weight: TensorPlan, byOwnUnit: boolean): Promise<Fp8BlockScaledTensor> {
    const kept = this.retained.get(weight.name);
    if (kept !== undefined) return kept.tensor;
    const tensor = this.reader.readFp8(weight, this.scaleOf(weight));
    const counted = byOwnUnit ? 0 : weight.bytes;
    if (this.consumers.has(weight.name) && this.retainedBytes + counted <= this.retainCapBytes) {
      this.retained.set(weight.name, { tensor, counted });
      this.retainedBytes += counted;
    }
    return tensor;
  }

  /** The amax of a loaded weight is known: its buffer goes back to the pool unless retained. */
  amaxDone(weight: TensorPlan, t: Fp8BlockScaledTensor): void {
    if (!this.retained.has(weight.name)) this.pool.give(t.data);
  }

  /**
   * For the weight's own quantize unit, after its global scale is known (so no amax pass still
   * uses the data): the retained data if any (then forgotten), else a fresh read. The unit gives
   * the data buffer back to the pool when done.
   */
  take(weight: TensorPlan): Promise<Fp8BlockScaledTensor> {
    this.consumers.delete(weight.name);
    const kept = this.retained.get(weight.name);
    if (kept === undefined) return this.reader.readFp8(weight, this.scaleOf(weight));
    this.retained.delete(weight.name);
    this.retainedBytes -= kept.counted;
    return kept.tensor;
  }
}
