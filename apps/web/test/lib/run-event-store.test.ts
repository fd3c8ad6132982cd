import type { RunEvent } from "@fp4kit/protocol";
import { describe, expect, it } from "vitest";
import { RunEventStore } from "../../src/lib/live/run-event-store";

const log = (seq: number, line = `line ${seq}`): RunEvent => ({
  type: "log",
  seq,
  ts: new Date(1_000 * seq).toISOString(),
  stream: "STDOUT",
  line,
});
const metric = (seq: number, progress: number): RunEvent => ({
  type: "metric",
  seq,
  ts: new Date(1_000 * seq).toISOString(),
  values: { progress },
});

describe("RunEventStore", () => {
  it("numbers log lines apart from metrics and resumes after the last seq", () => {
    const store = new RunEventStore();
    store.append([log(1), metric(2, 0.1), log(3)]);
    expect(store.logs.map((l) => [l.lineNo, l.seq])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(store.lastSeq).toBe(3);
    expect(store.metrics).toEqual([{ progress: 0.1, seq: 2, t: 0 }]);
  });

  it("ignores what a re-subscription replays again, so a reconnect leaves no duplicates", () => {
    const store = new RunEventStore();
    store.append([log(1), log(2)]);
    store.append([log(2), log(3), metric(4, 0.5), log(5)]);
    expect(store.logs.map((l) => l.seq)).toEqual([1, 2, 3, 5]);
    expect(store.logs.at(-1)?.lineNo).toBe(4);
    expect(store.latestMetrics()).toEqual({ progress: 0.5 });
  });

  it("tells subscribers once per batch", async () => {
    const store = new RunEventStore();
    let calls = 0;
    store.subscribe(() => calls++);
    store.append([log(1)]);
    store.append([log(2)]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toBe(1);
    expect(store.getVersion()).toBe(1);
  });
});
