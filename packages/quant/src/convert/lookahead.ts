/**
 * Starts producing the computed units of a run in output order, as far ahead as a byte budget
 * allows: reading and computing the next units overlaps writing earlier ones. With a kernel that
 * computes off the main thread it runs into the next shard once the writer has taken every unit
 * of the current one, so the next shard's first units are computed while the current file is
 * flushed, fsynced and renamed. It never runs further: a file is finished before units two shards
 * on start. Each result is held only until the writer takes it: both references (promise and
 * resolver) are dropped once used.
 */
import { ByteBudget } from "./byte-budget.ts";
import type { OutputShard, OutputUnit } from "./output-layout.ts";
import {
  type ComputedUnit,
  type ProducedUnit,
  produceUnit,
  type UnitProducerContext,
} from "./unit-producer.ts";
import { isStreamed } from "./unit-streamer.ts";

interface Slot {
  unit: ComputedUnit;
  /** Position of the unit's shard in the run. */
  shard: number;
  result: Promise<ProducedUnit> | undefined;
  start: ((result: Promise<ProducedUnit>) => void) | undefined;
}

export class Lookahead {
  private readonly slots = new Map<OutputUnit, Slot>();
  private readonly shardIndex = new Map<OutputShard, number>();
  private readonly budget: ByteBudget;
  /** Units of shards up to this one may start. */
  private openShard = -1;
  private opened: (() => void) | undefined;
  private stopped = false;

  /**
   * @param shards every shard the run writes, in order
   * @param overlapShards start the next shard's units while a file is finished (false for a kernel
   *   that computes on the main thread: it would only delay the file's fsync and rename)
   */
  constructor(
    private readonly ctx: UnitProducerContext,
    shards: readonly OutputShard[],
    budgetBytes: number,
    private readonly overlapShards: boolean,
  ) {
    for (const [shard, s] of shards.entries()) {
      this.shardIndex.set(s, shard);
      for (const unit of s.units) {
        if (isStreamed(unit)) continue;
        const slot: Slot = { unit, shard, result: undefined, start: undefined };
        slot.result = new Promise<ProducedUnit>((resolve) => {
          slot.start = resolve;
        });
        // A result after a failure is never taken; its rejection must not surface as unhandled.
        slot.result.catch(() => undefined);
        this.slots.set(unit, slot);
      }
    }
    this.budget = new ByteBudget(budgetBytes);
    void this.launch([...this.slots.values()]);
  }

  /** The writer starts `shard`: its units may be produced. */
  begin(shard: OutputShard): void {
    this.open(this.shardIndex.get(shard) ?? -1);
  }

  /** The writer has taken every unit of `shard` and finishes the file. */
  finishing(shard: OutputShard): void {
    if (this.overlapShards) this.open((this.shardIndex.get(shard) ?? -2) + 1);
  }

  /** The unit's outputs, once produced. Call `done` after writing them. */
  take(unit: ComputedUnit): Promise<ProducedUnit> {
    const slot = this.slots.get(unit);
    const result = slot?.result;
    if (slot === undefined || result === undefined)
      throw new Error(`unit ${unit.index} was taken twice or is not computed`);
    slot.result = undefined;
    return result;
  }

  done(unit: ComputedUnit): void {
    this.slots.delete(unit);
    this.budget.release(cost(unit));
  }

  /** Starts nothing more (after a failure or an abort); units already started run to their end. */
  stop(): void {
    this.stopped = true;
  }

  private open(shard: number): void {
    if (shard <= this.openShard) return;
    this.openShard = shard;
    this.opened?.();
    this.opened = undefined;
  }

  private async launch(slots: readonly Slot[]): Promise<void> {
    for (const slot of slots) {
      while (slot.shard > this.openShard && !this.stopped)
        await new Promise<void>((resolve) => {
          this.opened = resolve;
        });
      await this.budget.acquire(cost(slot.unit));
      if (this.stopped) return;
      slot.start?.(produceUnit(this.ctx, slot.unit));
      slot.start = undefined;
    }
  }
}

/** Memory a computed unit holds while in flight: its source bytes and its outputs. */
export function cost(unit: OutputUnit): number {
  return unit.sourceBytes + unit.outputBytes;
}
