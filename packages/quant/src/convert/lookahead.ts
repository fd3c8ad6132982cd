/**
 * Starts producing the computed units of one output shard in output order, as far ahead as a byte
 * budget allows: reading and computing the next units overlaps writing earlier ones. Each result is
 * held only until the writer takes it: both references (promise and resolver) are dropped once
 * used. Several shards are written at once, each with a lookahead of its own, so one shard's
 * writer never waits behind another shard's window.
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
  result: Promise<ProducedUnit> | undefined;
  start: ((result: Promise<ProducedUnit>) => void) | undefined;
}

export class Lookahead {
  private readonly slots = new Map<OutputUnit, Slot>();
  private readonly budget: ByteBudget;
  private stopped = false;

  constructor(
    private readonly ctx: UnitProducerContext,
    shard: OutputShard,
    budgetBytes: number,
  ) {
    for (const unit of shard.units) {
      if (isStreamed(unit)) continue;
      const slot: Slot = { unit, result: undefined, start: undefined };
      slot.result = new Promise<ProducedUnit>((resolve) => {
        slot.start = resolve;
      });
      // A result after a failure is never taken; its rejection must not surface as unhandled.
      slot.result.catch(() => undefined);
      this.slots.set(unit, slot);
    }
    this.budget = new ByteBudget(budgetBytes);
    void this.launch([...this.slots.values()]);
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

  private async launch(slots: readonly Slot[]): Promise<void> {
    for (const slot of slots) {
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
