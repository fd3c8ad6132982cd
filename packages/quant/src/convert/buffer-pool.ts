/**
 * Reuses tensor-sized buffers. A fresh ArrayBuffer costs a zero fill and page faults on every
 * byte, which at GB/s is main-thread time the kernels wait for; MoE checkpoints repeat a few
 * tensor sizes (every expert has the same shapes), so buffers of an exact byte length come back.
 * Buffers are handed out uninitialised: callers overwrite every byte.
 */
export class BufferPool {
  private readonly idle = new Map<number, ArrayBuffer[]>();
  private idleBytes = 0;

  /** @param maxIdleBytes most bytes kept for reuse; buffers given back beyond it are dropped */
  constructor(private readonly maxIdleBytes: number) {}

  take(bytes: number): Uint8Array {
    const reused = this.idle.get(bytes)?.pop();
    if (reused !== undefined) {
      this.idleBytes -= bytes;
      return new Uint8Array(reused);
    }
    // Not zero-filled; a Buffer of its own (offset 0), so typed-array views of it are aligned.
    const fresh = Buffer.allocUnsafeSlow(bytes);
    return new Uint8Array(fresh.buffer, fresh.byteOffset, bytes);
  }

  /** Gives a whole buffer from take() back; the caller must not use it afterwards. */
  give(view: Uint8Array): void {
    const bytes = view.byteLength;
    if (view.byteOffset !== 0 || view.buffer.byteLength !== bytes || bytes === 0) return;
    if (this.idleBytes + bytes > this.maxIdleBytes) return;
    const list = this.idle.get(bytes);
    if (list === undefined) this.idle.set(bytes, [view.buffer as ArrayBuffer]);
    else list.push(view.buffer as ArrayBuffer);
    this.idleBytes += bytes;
  }
}
