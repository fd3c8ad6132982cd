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

  it("refuses a width that is not a positive integer", () => {
    expect(() => new ComputeQueue(0)).toThrow(RangeError);
    expect(() => new ComputeQueue(1.5)).toThrow(RangeError);
  });
});
