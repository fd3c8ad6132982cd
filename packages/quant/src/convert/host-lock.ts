/**
 * A page-lock of one host buffer for a GPU kernel's DMA (the kernel's `hostMemory`), started at
 * once and released when no call uses the buffer any more: before it is dropped, or at the end
 * of the run. Locking runs off the event loop; calls made before it is done copy as before.
 */
import type { HostMemoryLocking } from "../nvfp4/kernel.ts";

export class HostLock {
  private readonly locked: Promise<boolean>;
  private released = false;

  constructor(
    private readonly locking: HostMemoryLocking,
    private readonly view: Uint8Array,
  ) {
    this.locked = locking.lock(view);
  }

  /** Waits for the lock to be taken (or refused), then undoes it. Safe to call more than once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (!(await this.locked)) return;
    try {
      this.locking.unlock(this.view);
    } catch {
      // The pages stay pinned until the process ends; the memory is still the buffer's.
    }
  }
}
