/**
 * Runs async jobs, at most `width` at once, the most urgent first: a waiting job with a lower
 * priority starts before one with a higher priority (equal priorities: call order). Results go
 * back to each job's caller, so the order in which jobs run never changes what is written.
 *
 * Kernel calls: width 2 for the CPU kernels (the next call is ready the moment one ends), GPUs ×
 * tensors per GPU for the CUDA pipeline; the priority is the output position of the unit a call is
 * for. The lookahead starts many units at once; without priorities the amax passes of all of them
 * would run before the first unit's quantize pass, and the writer, which takes units in order,
 * would wait for the whole window. The source reader also queues its reads through one.
 */
interface Waiting {
  priority: number;
  start: () => void;
  refuse: (reason: Error) => void;
}

export class ComputeQueue {
  private running = 0;
  /** Sorted by priority; call order among equals. */
  private readonly waiting: Waiting[] = [];
  /** Set by `close`: why jobs are refused from then on. */
  private closedBy: Error | undefined;
  private readonly onIdle: (() => void)[] = [];

  constructor(readonly width = 1) {
    if (!Number.isSafeInteger(width) || width < 1)
      throw new RangeError(`compute queue width must be a positive integer, got ${width}`);
  }

  /** @param priority lower runs first (the converter passes the unit's output position) */
  async run<T>(job: () => Promise<T>, priority = 0): Promise<T> {
    if (this.closedBy) throw this.closedBy;
    if (this.running < this.width) this.running += 1;
    else await new Promise<void>((start, refuse) => this.enqueue({ priority, start, refuse }));
    try {
      // Closed between this job being handed its slot and its start.
      if (this.closedBy) throw this.closedBy;
      return await job();
    } finally {
      // A failed job frees its slot too; its failure goes to its own caller. The next job starts
      // from the event loop, not from this promise chain: a kernel that computes on the main thread
      // (TypeScript) would otherwise run job after job with no I/O callback (finished reads and
      // writes) in between, and the writer would stall until the queue is empty.
      const next = this.waiting.shift();
      if (next !== undefined) setImmediate(next.start);
      else if (--this.running === 0) for (const idle of this.onIdle.splice(0)) idle();
    }
  }

  /**
   * Starts nothing more: waiting jobs and later calls are refused with `reason`. Resolves once the
   * jobs already running have ended, so that nothing started here is still in flight when a
   * stopped conversion returns (a native kernel call on the libuv pool writing into its buffers,
   * a read into a pooled buffer): the thread running it may be ended right after.
   */
  close(reason: Error): Promise<void> {
    this.closedBy ??= reason;
    for (const job of this.waiting.splice(0)) job.refuse(this.closedBy);
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.onIdle.push(resolve));
  }

  private enqueue(job: Waiting): void {
    let at = this.waiting.length;
    while (at > 0 && (this.waiting[at - 1] as Waiting).priority > job.priority) at -= 1;
    this.waiting.splice(at, 0, job);
  }
}
