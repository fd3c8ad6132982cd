/**
 * Runs async kernel jobs in call order, at most `width` at once. Width 1 for the CPU kernels (they
 * already use every core for one tensor); the CUDA pipeline asks for more (several tensors in
 * flight on each GPU). Reads and writes overlap the jobs either way. Results go back to each
 * job's caller, so the order in which jobs finish never changes what is written.
 */
export class ComputeQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly width = 1) {
    if (!Number.isSafeInteger(width) || width < 1)
      throw new RangeError(`compute queue width must be a positive integer, got ${width}`);
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.width) this.running += 1;
    else await new Promise<void>((start) => this.waiting.push(start));
    try {
      return await job();
    } finally {
      // A failed job frees its slot too; its failure goes to its own caller.
      const next = this.waiting.shift();
      if (next === undefined) this.running -= 1;
      else next();
    }
  }
}
