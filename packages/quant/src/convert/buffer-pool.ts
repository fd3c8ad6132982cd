/**
 * Reuses tensor-sized buffers. A fresh ArrayBuffer costs a zero fill and page faults on every
 * byte, which at GB/s is main-thread time the kernels wait for; MoE checkpoints repeat a few
 * tensor sizes (every expert has the same shapes), so buffers of an exact byte length come back.
 * Buffers are handed out uninitialised: callers overwrite every byte.
 *
 * Buffers are SharedArrayBuffers, so a shard's staging worker can copy computed outputs out of them
 * in place. A fresh one is zeroed lazily by the OS (large allocations are fresh mappings), so the
 * zero fill costs page faults only, as a plain ArrayBuffer's would.
 *
 * With a GPU kernel that can lock host memory, large buffers are page-locked when made (off the
 * event loop; until it is done, calls copy as before) and unlocked when dropped or at `close`, so
 * the GPU reads weights from them by DMA. Reuse keeps the locking (costly: every page is pinned)
 * to about the budget's worth of buffers.
 */
import type { HostMemoryLocking } from "../nvfp4/kernel.ts";
import { HostLock } from "./host-lock.ts";

export class BufferPool {
  private readonly idle = new Map<number, SharedArrayBuffer[]>();
  private idleBytes = 0;
  /** Buffers whose page-lock was started and not yet released. */
  private readonly locked = new Map<SharedArrayBuffer, HostLock>();

  /**
   * @param maxIdleBytes most bytes kept for reuse; buffers given back beyond it are dropped
   * @param locking page-locks buffers of LOCK_MIN_BYTES or more (a GPU kernel's `hostMemory`)
   */
  constructor(
    private readonly maxIdleBytes: number,
    private readonly locking?: HostMemoryLocking,
  ) {}

  take(bytes: number): Uint8Array {
    const reused = this.idle.get(bytes)?.pop();
    if (reused !== undefined) {
      this.idleBytes -= bytes;
      return new Uint8Array(reused);
    }
    // A buffer of its own (offset 0), so typed-array views of it are aligned.
    const view = new Uint8Array(new SharedArrayBuffer(bytes));
    if (this.locking !== undefined && bytes >= LOCK_MIN_BYTES)
      this.locked.set(view.buffer as SharedArrayBuffer, new HostLock(this.locking, view));
    return view;
  }

  /** Gives a whole buffer from take() back; the caller must not use it afterwards. */
  give(view: Uint8Array): void {
    const bytes = view.byteLength;
    const buffer = view.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || view.byteOffset !== 0 || buffer.byteLength !== bytes)
      return;
    if (bytes === 0) return;
    if (this.idleBytes + bytes > this.maxIdleBytes) {
      void this.unlock(buffer);
      return;
    }
    const list = this.idle.get(bytes);
    if (list === undefined) this.idle.set(bytes, [buffer]);
    else list.push(buffer);
    this.idleBytes += bytes;
  }

  /**
   * Unlocks every buffer still locked, once no call uses any of them (after the kernels' queue is
   * closed). Buffers still held by callers stay usable, as ordinary memory.
   */
  async close(): Promise<void> {
    const buffers = [...this.locked.keys()];
    await Promise.all(buffers.map((b) => this.unlock(b)));
    this.idle.clear();
    this.idleBytes = 0;
  }

  private async unlock(buffer: SharedArrayBuffer): Promise<void> {
    const lock = this.locked.get(buffer);
    this.locked.delete(buffer);
    await lock?.release();
  }
}

/** Smaller buffers (scales, small tensors) are not worth a lock: copying them costs less. */
const LOCK_MIN_BYTES = 1024 * 1024;
