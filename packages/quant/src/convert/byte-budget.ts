/**
 * Bounds the bytes of tensors in flight (read, being computed, or waiting to be written). A request
 * larger than the whole budget is granted once nothing else is held, so a huge tensor still passes.
 */
export class ByteBudget {
  private held = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.held += bytes;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiting.push({ bytes, grant }));
  }

  release(bytes: number): void {
    this.held -= bytes;
    // First come, first served: a large request is not overtaken by later small ones.
    while (this.waiting.length > 0 && this.fits((this.waiting[0] as { bytes: number }).bytes)) {
      const next = this.waiting.shift() as { bytes: number; grant: () => void };
      this.held += next.bytes;
      next.grant();
    }
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.capacity;
  }
}
