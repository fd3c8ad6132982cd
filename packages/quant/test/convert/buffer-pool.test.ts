/**
 * The converter's buffer pool with a GPU kernel's host-memory locking: large buffers are locked
 * once when made, stay locked while the pool reuses them, and are unlocked when dropped or when the
 * pool closes; a refused lock is never undone. The locking here records calls the way the CUDA
 * pipeline's `hostMemory` answers them (test/nvfp4-cuda-pipeline.test.ts runs the real one on a GPU).
 */
import { describe, expect, it } from "vitest";
import { BufferPool } from "../../src/convert/buffer-pool.ts";
import type { HostMemoryLocking } from "../../src/nvfp4/kernel.ts";

const MiB = 1024 * 1024;

function recordingLocking(refuse: (view: Uint8Array) => boolean = () => false) {
  const locked = new Set<ArrayBufferLike>();
  const calls: string[] = [];
  const locking: HostMemoryLocking = {
    lock: async (view) => {
      calls.push(`lock ${view.byteLength}`);
      if (refuse(view) || locked.has(view.buffer)) return false;
      locked.add(view.buffer);
      return true;
    },
    unlock: (view) => {
      calls.push(`unlock ${view.byteLength}`);
      if (!locked.delete(view.buffer)) throw new Error("unlocking host memory: not locked");
    },
  };
  return { locking, locked, calls };
}

describe("BufferPool with host-memory locking", () => {
  it("locks large new buffers once, keeps them locked while reused, unlocks them at close", async () => {
    const { locking, locked, calls } = recordingLocking();
    const pool = new BufferPool(64 * MiB, locking);
    const a = pool.take(4 * MiB);
    const small = pool.take(4096);
    pool.give(a);
    const again = pool.take(4 * MiB);
    expect(again.buffer).toBe(a.buffer);
    await Promise.resolve();
    expect(calls).toEqual([`lock ${4 * MiB}`]);
    expect(locked.has(a.buffer)).toBe(true);
    expect(locked.has(small.buffer)).toBe(false);
    await pool.close();
    expect(locked.size).toBe(0);
    expect(calls).toEqual([`lock ${4 * MiB}`, `unlock ${4 * MiB}`]);
  });

  it("unlocks a buffer dropped beyond the idle limit, and only once", async () => {
    const { locking, locked } = recordingLocking();
    const pool = new BufferPool(2 * MiB, locking);
    const a = pool.take(2 * MiB);
    const b = pool.take(2 * MiB);
    pool.give(a);
    pool.give(b); // over the limit: dropped, so unlocked
    await new Promise((r) => setImmediate(r));
    expect(locked.has(a.buffer)).toBe(true);
    expect(locked.has(b.buffer)).toBe(false);
    await pool.close();
    expect(locked.size).toBe(0);
  });

  it("never undoes a lock that was refused", async () => {
    const { locking, calls } = recordingLocking((v) => v.byteLength === 3 * MiB);
    const pool = new BufferPool(64 * MiB, locking);
    pool.take(3 * MiB);
    pool.take(5 * MiB);
    await pool.close();
    expect(calls.sort()).toEqual([`lock ${3 * MiB}`, `lock ${5 * MiB}`, `unlock ${5 * MiB}`].sort());
  });

  it("locks nothing without a locking kernel", async () => {
    const pool = new BufferPool(64 * MiB);
    const a = pool.take(8 * MiB);
    pool.give(a);
    expect(pool.take(8 * MiB).buffer).toBe(a.buffer);
    await pool.close();
  });
});
