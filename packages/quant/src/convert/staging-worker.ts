/**
 * One output shard's worker threads: one copies computed outputs into the shard writer's staging
 * blocks, the other takes the SHA-256 of the file from those blocks. Both are the byte work of a
 * shard that would otherwise run on the main thread: at GB/s, copying outputs into staging took
 * about a third of it and SHA-256 (~1.3–1.8 GB/s a core) more than all of it. On two threads the
 * hash of one block overlaps the copies into the next, so a shard goes at the pace of SHA-256
 * alone; with one pair per shard in flight, that work spreads over as many cores as shards are
 * written at once.
 *
 * Every view must be of a SharedArrayBuffer (the writer's staging blocks, the converter's pooled
 * buffers): the threads read and write them in place, nothing is copied through messages. Each
 * thread handles its requests in the order they are made; the caller hands a block to `hash` only
 * once the `copy`s that fill it have resolved (SafetensorsWriter does), and keeps a view unchanged
 * until its request resolves.
 *
 * One file at a time: `copy`s and `hash`es, then `digest`, which starts the next file. A file whose
 * shard fails is never digested; the conversion stops with the failure and `close`s the worker.
 */
import { Worker } from "node:worker_threads";

/**
 * The worker's code, plain CommonJS given to `new Worker(..., { eval: true })`: a separate `.ts`
 * file would not load where this package runs from source (tsx, vitest) or from an esbuild bundle.
 * Messages in: [source, target] (copy), a Uint8Array (hash it) or null (digest). Out: null per
 * copy or hash, the hex digest.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
let hash = createHash("sha256");
parentPort.on("message", (request) => {
  if (request === null) {
    parentPort.postMessage(hash.digest("hex"));
    hash = createHash("sha256");
  } else if (Array.isArray(request)) {
    request[1].set(request[0]);
    parentPort.postMessage(null);
  } else {
    hash.update(request);
    parentPort.postMessage(null);
  }
});
`;

interface Pending {
  resolve: (reply: string | null) => void;
  reject: (error: unknown) => void;
}

/** One worker thread running WORKER_SOURCE; replies resolve requests in the order they were made. */
class OrderedThread {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;

  constructor() {
    this.worker.on("message", (reply: string | null) => this.pending.shift()?.resolve(reply));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`staging worker exited (code ${code})`)));
  }

  request(message: [Uint8Array, Uint8Array] | Uint8Array | null): Promise<string | null> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error("staging worker closed");
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }
}

export class StagingWorker {
  private readonly copier = new OrderedThread();
  private readonly hasher = new OrderedThread();

  /** Resolves once `target` holds `source`'s bytes (same length, both shared). */
  async copy(source: Uint8Array, target: Uint8Array): Promise<void> {
    if (source.length !== target.length)
      throw new RangeError(`copy of ${source.length} bytes into ${target.length}`);
    await this.copier.request([shared(source), shared(target)]);
  }

  /** Resolves once `chunk` is hashed, after every chunk given to `hash` before it. */
  async hash(chunk: Uint8Array): Promise<void> {
    await this.hasher.request(shared(chunk));
  }

  /** Hex SHA-256 of everything given to `hash` since the last digest. */
  async digest(): Promise<string> {
    return (await this.hasher.request(null)) as string;
  }

  async close(): Promise<void> {
    await Promise.all([this.copier.close(), this.hasher.close()]);
  }
}

export function isShared(view: Uint8Array): boolean {
  return view.buffer instanceof SharedArrayBuffer;
}

function shared(view: Uint8Array): Uint8Array {
  if (!isShared(view)) throw new TypeError("the staging worker needs views of a SharedArrayBuffer");
  return view;
}
