import { describe, expect, it } from "vitest";
import { ComputeQueue } from "../../src/convert/compute-queue.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("ComputeQueue", () => {
  it("starts jobs in call order, never more than `width` at once", async () => {
    const queue = new ComputeQueue(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        queue.run(async () => {
          started.push(i);
          running += 1;
          peak = Math.max(peak, running);
          await tick();
          running -= 1;
          return i * 2;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    expect(started).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(peak).toBe(3);
  });

  it("gives a failure to its own caller and goes on with the next jobs", async () => {
    const queue = new ComputeQueue(1);
    const failed = queue.run(async () => {
      throw new Error("kernel failed");
    });
    const next = queue.run(async () => "next");
    await expect(failed).rejects.toThrow("kernel failed");
    await expect(next).resolves.toBe("next");
  });

  it("close refuses waiting and later jobs, and resolves once the running ones have ended", async () => {
    const queue = new ComputeQueue(2);
    const ends: (() => void)[] = [];
    const started: number[] = [];
    const jobs = Array.from({ length: 5 }, (_, i) =>
      queue.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(i);
            ends.push(() => resolve(i));
          }),
      ),
    );
    await tick();
    expect(started).toEqual([0, 1]);

    const reason = new Error("stopped");
    let closed = false;
    const closing = queue.close(reason).then(() => {
      closed = true;
    });
    for (const job of jobs.slice(2)) await expect(job).rejects.toBe(reason);
    await expect(queue.run(async () => "late")).rejects.toBe(reason);
    ends[0]?.();
    await tick();
    expect(closed).toBe(false); // job 1 still runs
    ends[1]?.();
    await closing;
    await expect(Promise.all(jobs.slice(0, 2))).resolves.toEqual([0, 1]);
    expect(started).toEqual([0, 1]);
  });

  it("does not start a job that was handed its slot just before close", async () => {
    const queue = new ComputeQueue(1);
    let end = () => {};
    const first = queue.run(() => new Promise<void>((resolve) => (end = resolve)));
    const second = queue.run(async () => "started");
    await tick();
    end(); // frees the slot: the second job gets it on the next turn of the event loop
    await first;
    const reason = new Error("stopped");
    await queue.close(reason);
    await expect(second).rejects.toBe(reason);
  });

  it("refuses a width that is not a positive integer", () => {
    expect(() => new ComputeQueue(0)).toThrow(RangeError);
    expect(() => new ComputeQueue(1.5)).toThrow(RangeError);
  });
});
