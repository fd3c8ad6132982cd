/**
 * Streaming safetensors writer. The header (with every offset) is computed from the declared
 * tensors and written first; tensor bytes are then appended in declared order, in as many chunks
 * as the caller likes. Everything goes to `<path>.partial`, which is fsynced and renamed to `path`
 * only by `finish()`, so a crash never leaves a file that looks complete.
 */
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { type Dtype, tensorByteLength } from "./dtypes.ts";
import { encodeHeader } from "./header.ts";

export interface TensorDeclaration {
  name: string;
  dtype: Dtype;
  shape: readonly number[];
}

export interface SafetensorsWriterOptions {
  /** Kept verbatim as the header's `__metadata__` (HF writes {"format": "pt"}). */
  metadata?: Record<string, string>;
  /** Small writes are gathered into a buffer of this size before hitting the disk. */
  bufferBytes?: number;
  /**
   * Starts writing dirty pages back to the disk (fdatasync, not awaited) after this many bytes.
   * Without it a machine with lots of RAM keeps a whole multi-GB shard in the page cache and
   * writes it in `finish()`, after the reads that produced it instead of while they run.
   * 0 disables. Default 256 MiB.
   */
  writebackBytes?: number;
}

const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
const DEFAULT_WRITEBACK_BYTES = 256 * 1024 * 1024;
export const PARTIAL_SUFFIX = ".partial";

interface PlannedTensor {
  name: string;
  length: number;
}

export class SafetensorsWriter {
  private current = 0;
  private writtenInCurrent = 0;
  private pending: Buffer;
  private pendingLength = 0;
  private filePosition: number;
  private closed = false;
  private unsyncedBytes = 0;
  /** The background fdatasync in flight; its error is reported by finish(). */
  private writeback: Promise<unknown> | undefined;
  private writebackDone = true;

  private constructor(
    readonly path: string,
    readonly partialPath: string,
    private readonly handle: FileHandle,
    private readonly planned: PlannedTensor[],
    headerLength: number,
    bufferBytes: number,
    private readonly writebackBytes: number,
  ) {
    this.filePosition = headerLength;
    this.pending = Buffer.allocUnsafe(bufferBytes);
  }

  /** Creates `<path>.partial` and writes the header. */
  static async create(
    path: string,
    tensors: readonly TensorDeclaration[],
    options: SafetensorsWriterOptions = {},
  ): Promise<SafetensorsWriter> {
    const { bytes } = encodeHeader(tensors, options.metadata);
    const planned = tensors.map((t) => ({ name: t.name, length: tensorByteLength(t.dtype, t.shape) ?? 0 }));
    const partialPath = `${path}${PARTIAL_SUFFIX}`;
    const handle = await open(partialPath, "w");
    try {
      await writeFully(handle, bytes, 0);
    } catch (error) {
      await handle.close();
      await rm(partialPath, { force: true });
      throw error;
    }
    return new SafetensorsWriter(
      path,
      partialPath,
      handle,
      planned,
      bytes.length,
      options.bufferBytes ?? DEFAULT_BUFFER_BYTES,
      options.writebackBytes ?? DEFAULT_WRITEBACK_BYTES,
    );
  }

  /** Name of the tensor the next bytes belong to, or undefined when all are complete. */
  get nextTensor(): string | undefined {
    this.skipCompleted();
    return this.planned[this.current]?.name;
  }

  /**
   * Appends bytes of tensor `name`. Tensors must be written in declared order; a tensor may take
   * any number of calls. The chunk may be reused by the caller as soon as the promise resolves.
   */
  async write(name: string, chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.path}: writer is already finished or aborted`);
    this.skipCompleted();
    const target = this.planned[this.current];
    if (target === undefined || target.name !== name) {
      throw new Error(
        `${this.path}: got bytes for "${name}" but the next tensor in declared order is ${
          target === undefined ? "none (all tensors complete)" : `"${target.name}"`
        }`,
      );
    }
    if (this.writtenInCurrent + chunk.length > target.length) {
      throw new Error(
        `${this.path}: "${name}" is ${target.length} bytes; writing ${chunk.length} more after ${this.writtenInCurrent} overruns it`,
      );
    }
    this.writtenInCurrent += chunk.length;
    await this.append(chunk);
  }

  /** Flushes, checks every tensor is complete, fsyncs and renames the partial file into place. */
  async finish(): Promise<{ path: string; bytes: number }> {
    this.skipCompleted();
    const incomplete = this.planned[this.current];
    if (incomplete !== undefined) {
      throw new Error(
        `${this.path}: tensor "${incomplete.name}" has ${this.writtenInCurrent} of ${incomplete.length} bytes; cannot finish`,
      );
    }
    await this.flush();
    this.closed = true;
    await this.writeback;
    await this.handle.sync();
    await this.handle.close();
    await rename(this.partialPath, this.path);
    await syncDirectory(dirname(this.path));
    return { path: this.path, bytes: this.filePosition };
  }

  /** Closes and deletes the partial file. Safe to call after a failed write. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.writeback?.catch(() => undefined);
      await this.handle.close();
    }
    await rm(this.partialPath, { force: true });
  }

  private skipCompleted(): void {
    while (
      this.current < this.planned.length &&
      this.writtenInCurrent === this.planned[this.current]?.length
    ) {
      this.current += 1;
      this.writtenInCurrent = 0;
    }
  }

  private async append(chunk: Uint8Array): Promise<void> {
    // Large chunks go straight to disk; small ones are gathered to avoid a syscall each.
    if (chunk.length >= this.pending.length / 2) {
      await this.flush();
      await writeFully(this.handle, chunk, this.filePosition);
      this.filePosition += chunk.length;
      this.wrote(chunk.length);
      return;
    }
    if (this.pendingLength + chunk.length > this.pending.length) await this.flush();
    this.pending.set(chunk, this.pendingLength);
    this.pendingLength += chunk.length;
  }

  private async flush(): Promise<void> {
    if (this.pendingLength === 0) return;
    await writeFully(this.handle, this.pending.subarray(0, this.pendingLength), this.filePosition);
    this.filePosition += this.pendingLength;
    this.wrote(this.pendingLength);
    this.pendingLength = 0;
  }

  /** One background writeback at a time; the next starts once enough new bytes are written. */
  private wrote(bytes: number): void {
    this.unsyncedBytes += bytes;
    if (this.writebackBytes <= 0 || this.unsyncedBytes < this.writebackBytes) return;
    if (this.writeback !== undefined && !this.writebackDone) return;
    this.unsyncedBytes = 0;
    this.writebackDone = false;
    const started = this.handle.datasync().finally(() => {
      this.writebackDone = true;
    });
    // Awaited (and its error thrown) by finish(); never an unhandled rejection meanwhile.
    started.catch(() => undefined);
    this.writeback = started;
  }
}

async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes the rename durable. Some platforms cannot open directories; the rename still happened. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Not supported here (e.g. Windows); nothing more we can do.
  } finally {
    await handle?.close();
  }
}
