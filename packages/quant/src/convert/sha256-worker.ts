/**
 * SHA-256 of a stream of bytes, computed on a worker thread. Hashing every output byte on the
 * main thread took about half of it (SHA-256 runs at ~1.8 GB/s per core), which delayed starting
 * the next kernel call, read and write. Chunks must be views of a SharedArrayBuffer (the shard
 * writer's staging blocks): the worker reads them in place, nothing is copied. The caller keeps a
 * chunk unchanged until its `update` promise resolves.
 *
 * One stream at a time: `update`s, then `digest`, which starts the next stream. A stream whose
 * shard fails is never digested; the conversion stops with the failure and `close`s the worker.
 */
import { Worker } from "node:worker_threads";

/**
 * The worker's code, plain CommonJS given to `new Worker(..., { eval: true })`: a separate `.ts`
 * file would not load where this package runs from source (tsx, vitest) or from an esbuild bundle.
 * Messages in: a Uint8Array (hash it) or null (digest). Out: null per chunk, the hex digest.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
let hash = createHash("sha256");
parentPort.on("message", (chunk) => {
  if (chunk === null) {
    parentPort.postMessage(hash.digest("hex"));
    hash = createHash("sha256");
  } else {
    hash.update(chunk);
    parentPort.postMessage(null);
  }
});
`;

interface Pending {
  resolve: (reply: string | null) => void;
  reject: (error: unknown) => void;
}

export class Sha256Worker {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  /** Requests in the order sent; the worker answers them in that order. */
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;

  constructor() {
    this.worker.on("message", (reply: string | null) => this.pending.shift()?.resolve(reply));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`SHA-256 worker exited (code ${code})`)));
  }

  /** Resolves once the worker has hashed `chunk` (a view of a SharedArrayBuffer). */
  async update(chunk: Uint8Array): Promise<void> {
    if (!(chunk.buffer instanceof SharedArrayBuffer))
      throw new TypeError("Sha256Worker.update needs a view of a SharedArrayBuffer");
    await this.request(chunk);
  }

  /** Hex SHA-256 of everything given to `update` since the last digest. */
  async digest(): Promise<string> {
    return (await this.request(null)) as string;
  }

  async close(): Promise<void> {
    this.failure ??= new Error("SHA-256 worker closed");
    await this.worker.terminate();
  }

  private request(message: Uint8Array | null): Promise<string | null> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }
}
