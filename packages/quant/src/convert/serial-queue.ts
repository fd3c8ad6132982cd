/**
 * Runs async jobs one at a time, in call order. The NVFP4 kernels already use every core for one
 * tensor, so tensors are computed one after the other while reads and writes overlap them.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    // The queue continues after a failed job; the failure is reported to that job's caller.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
