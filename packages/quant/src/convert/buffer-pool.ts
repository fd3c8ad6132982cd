/**
 * Reuses tensor-sized buffers. A fresh ArrayBuffer costs a zero fill and page faults on every
 * byte, which at GB/s is main-thread time the kernels wait for; MoE checkpoints repeat a few
 * tensor sizes (every expert has the same shapes), so buffers of an exact byte length come back.
 * Buffers are handed out uninitialised: callers overwrite every byte.
 *
 * Buffers are SharedArrayBuffers, so a shard's staging worker can copy computed outputs out of them
 * in place. A fresh one is zeroed lazily by the OS (large allocations are fresh mappings), so the
 * zero fill costs page faults only, as a plain ArrayBuffer's would.
 */
export class BufferPool {
  private readonly idle = new Map<number, SharedArrayBuffer[]>();
  private idleBytes = 0;

  /** @param maxIdleBytes most bytes kept for reuse; buffers given back beyond it are dropped */
  constructor(private readonly maxIdleBytes: number) {}

  take(bytes: number): Uint8Array {
    const reused = this.idle.get(bytes)?.pop();
    if (reused !== undefined) {
      this.idleBytes -= bytes;
      return new Uint8Array(reused);
    }
    // A buffer of its own (offset 0), so typed-array views of it are aligned.
    return new Uint8Array(new SharedArrayBuffer(bytes));
  }

  /** Gives a whole buffer from take() back; the caller must not use it afterwards. */
  give(view: Uint8Array): void {
    const bytes = view.byteLength;
    const buffer = view.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || view.byteOffset !== 0 || buffer.byteLength !== bytes)
      return;
    if (bytes === 0) return;
    if (this.idleBytes + bytes > this.maxIdleBytes) return;
    const list = this.idle.get(bytes);
    if (list === undefined) this.idle.set(bytes, [buffer]);
    else list.push(buffer);
    this.idleBytes += bytes;
  }
}
