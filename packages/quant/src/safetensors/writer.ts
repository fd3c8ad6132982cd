/**
 * Streaming safetensors writer. The header (with every offset) is computed from the declared
 * tensors and written first; tensor bytes are then appended in declared order, in as many chunks
 * as the caller likes. Everything goes to `<path>.partial`, which is fsynced and renamed to `path`
 * only by `finish()`, so a crash never leaves a file that looks complete.
 *
 * Bytes are gathered into a few large staging blocks, each written with one positioned write while
 * the next one fills, so the file is written in big sequential pieces whatever the callers' chunk
 * sizes. With `directIo` the blocks bypass the page cache (O_DIRECT): a multi-GB output costs no
 * page-cache copy and no page-cache memory, and does not evict the source being read. Staging
 * blocks live in a SharedArrayBuffer, so a worker thread can fill them (`copy`: large chunks that
 * are themselves shared) and see them (`onBlock`, e.g. to hash the file) without any copy through
 * messages or work on the main thread. `writeInPlace` hands out room in a block itself, for a
 * kernel to write its outputs where they are written from.
 */
import { constants, writeSync } from "node:fs";
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
  /** Size of one staging block: the size of every write but the last. Default 4 MiB. */
  bufferBytes?: number;
  /** Staging blocks: one fills while the others are written and observed. Default 2. */
  buffers?: number;
  /**
   * Write with O_DIRECT where the file system takes it (needs `bufferBytes` to be a multiple of
   * 4096; otherwise, or where O_DIRECT is refused, the writer falls back to buffered writes).
   */
  directIo?: boolean;
  /**
   * Buffered writes only: starts writing dirty pages back to the disk (fdatasync, not awaited)
   * after this many bytes. Without it a machine with lots of RAM keeps a whole multi-GB shard in
   * the page cache and writes it in `finish()`, after the reads that produced it instead of while
   * they run. 0 disables. Default 256 MiB.
   */
  writebackBytes?: number;
  /**
   * Sees every byte of the file once, in file order (header first), one staging block at a time,
   * as the block is written. The view is backed by a SharedArrayBuffer and stays unchanged until
   * the returned promise settles; a rejection fails the writer like a write error.
   */
  onBlock?: (bytes: Uint8Array) => Promise<void>;
  /**
   * Copies a chunk backed by a SharedArrayBuffer into a staging block off the main thread. A full
   * block is written and handed to `onBlock` once the copies that fill it have finished, so the
   * copies and the observer may run on different threads.
   */
  copy?: (source: Uint8Array, target: Uint8Array) => Promise<void>;
}

const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
const DEFAULT_BUFFERS = 2;
const DEFAULT_WRITEBACK_BYTES = 256 * 1024 * 1024;
/**
 * O_DIRECT alignment used for addresses, offsets and lengths: a page, which covers every
 * logical block and DMA alignment Linux file systems ask for.
 */
const DIRECT_IO_ALIGNMENT = 4096;
export const PARTIAL_SUFFIX = ".partial";
/** Smaller chunks are copied on the main thread: a round trip to a worker costs more. */
const MIN_OFF_THREAD_COPY_BYTES = 64 * 1024;

interface PlannedTensor {
  name: string;
  length: number;
}

interface StagingBlock {
  bytes: Uint8Array;
  /** Its write and its observer, while in flight; the block is refilled only after both. */
  busy: Promise<void> | undefined;
  /** Off-thread copies into the block, requested since it was last written. */
  fills: Promise<void>[];
}

export class SafetensorsWriter {
  private current = 0;
  private writtenInCurrent = 0;
  private block = 0;
  private blockFill = 0;
  /** File offset of the current staging block's first byte. */
  private blockPosition = 0;
  private closed = false;
  /** The first error of a write or observer in flight; reported by the next call. */
  private failure: { error: unknown } | undefined;
  private unsyncedBytes = 0;
  /** The background fdatasync in flight; its error is reported by finish(). */
  private writeback: Promise<unknown> | undefined;
  private writebackDone = true;
  /** The observer's call for the last block submitted, once over (failed or not). */
  private observed: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly partialPath: string,
    private readonly handle: FileHandle,
    private readonly planned: PlannedTensor[],
    private readonly blocks: StagingBlock[],
    /** Writes go through O_DIRECT: the last one is padded to the alignment, then truncated. */
    readonly directIo: boolean,
    private readonly writebackBytes: number,
    private readonly onBlock: ((bytes: Uint8Array) => Promise<void>) | undefined,
    private readonly copy: ((source: Uint8Array, target: Uint8Array) => Promise<void>) | undefined,
  ) {}

  /** Creates `<path>.partial` and stages the header. */
  static async create(
    path: string,
    tensors: readonly TensorDeclaration[],
    options: SafetensorsWriterOptions = {},
  ): Promise<SafetensorsWriter> {
    const { bytes: header } = encodeHeader(tensors, options.metadata);
    const planned = tensors.map((t) => ({ name: t.name, length: tensorByteLength(t.dtype, t.shape) ?? 0 }));
    const partialPath = `${path}${PARTIAL_SUFFIX}`;
    const blockBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    const count = options.buffers ?? DEFAULT_BUFFERS;
    if (!Number.isSafeInteger(blockBytes) || blockBytes < 1 || !Number.isSafeInteger(count) || count < 1)
      throw new RangeError(`staging needs positive integer sizes, got ${count} × ${blockBytes} bytes`);
    const wantDirect = options.directIo === true && blockBytes % DIRECT_IO_ALIGNMENT === 0;
    // Room to slide the blocks to an address O_DIRECT accepts.
    const arena = new SharedArrayBuffer(count * blockBytes + (wantDirect ? DIRECT_IO_ALIGNMENT : 0));
    const direct = wantDirect ? await openDirect(partialPath, arena) : undefined;
    const handle = direct?.handle ?? (await open(partialPath, "w"));
    const shift = direct?.shift ?? 0;
    const blocks = Array.from({ length: count }, (_, i) => ({
      bytes: new Uint8Array(arena, shift + i * blockBytes, blockBytes),
      busy: undefined,
      fills: [],
    }));
    const writer = new SafetensorsWriter(
      path,
      partialPath,
      handle,
      planned,
      blocks,
      direct !== undefined,
      options.writebackBytes ?? DEFAULT_WRITEBACK_BYTES,
      options.onBlock,
      options.copy,
    );
    try {
      await writer.stage(header);
    } catch (error) {
      await writer.abort();
      throw error;
    }
    return writer;
  }

  /** The memory of all staging blocks, as one view (a GPU kernel may page-lock it for DMA). */
  get stagingMemory(): Uint8Array {
    return new Uint8Array((this.blocks[0] as StagingBlock).bytes.buffer);
  }

  /** Name of the tensor the next bytes belong to, or undefined when all are complete. */
  get nextTensor(): string | undefined {
    this.skipCompleted();
    return this.planned[this.current]?.name;
  }

  /**
   * Appends bytes of tensor `name`. Tensors must be written in declared order; a tensor may take
   * any number of calls. The chunk is copied (off the main thread when the writer has `copy` and
   * the chunk is shared): the caller may reuse it once the promise resolves.
   */
  async write(name: string, chunk: Uint8Array): Promise<void> {
    this.claim(name, chunk.length);
    await this.stage(chunk);
  }

  /**
   * Appends `length` bytes of tensor `name` that `fill` puts straight into the staging blocks (e.g.
   * a file read into `target`), without an intermediate buffer. `fill` is called with consecutive
   * pieces; `offset` is where the piece starts within these `length` bytes, and `fill` must write
   * all of `target`. If `fill` fails the writer is unusable: abort it.
   */
  async writeFrom(
    name: string,
    length: number,
    fill: (target: Uint8Array, offset: number) => Promise<void>,
  ): Promise<void> {
    this.claim(name, length);
    try {
      for (let done = 0; done < length; ) {
        const block = await this.currentBlock();
        const n = Math.min(length - done, block.length - this.blockFill);
        await fill(block.subarray(this.blockFill, this.blockFill + n), done);
        this.advance(n);
        done += n;
      }
    } catch (error) {
      this.failure ??= { error };
      throw error;
    }
  }

  /**
   * Has `fill` write the next tensors in place: `names`, next in declared order and each whole,
   * are laid out one after another in one staging block and `fill` gets a view of each, so a
   * kernel writes its outputs where they are written to the file from, with no copy. Resolves
   * once the space is taken and `fill` has started, with `filled`, its outcome: the block is
   * written and observed only after it, and a rejection fails the writer like a write error.
   * Several fills may be in flight at once. Together the tensors must fit in one staging block
   * with a page to spare (`bufferBytes`).
   */
  async writeInPlace<T>(
    names: readonly string[],
    fill: (targets: Uint8Array[]) => Promise<T>,
  ): Promise<{ filled: Promise<T> }> {
    const lengths = this.nextWhole(names);
    const total = lengths.reduce((sum, n) => sum + n, 0);
    const room = (this.blocks[0] as StagingBlock).bytes.length - (this.directIo ? DIRECT_IO_ALIGNMENT : 0);
    if (total > room)
      throw new RangeError(
        `${this.path}: ${total} bytes written in place need staging blocks of ${total} bytes and a page`,
      );
    for (const [k, name] of names.entries()) if (lengths[k] !== 0) this.claim(name, lengths[k] as number);
    let block = await this.currentBlock();
    if (this.blockFill + total > block.length) {
      this.submitWholePages();
      block = await this.currentBlock();
    }
    const targets: Uint8Array[] = [];
    for (let at = this.blockFill, k = 0; k < lengths.length; k += 1) {
      targets.push(block.subarray(at, at + (lengths[k] as number)));
      at += lengths[k] as number;
    }
    let filled: Promise<T>;
    try {
      filled = fill(targets);
    } catch (error) {
      filled = Promise.reject(error);
    }
    const settled = filled.then(() => undefined);
    settled.catch(() => undefined);
    (this.blocks[this.block] as StagingBlock).fills.push(settled);
    this.advance(total);
    return { filled };
  }

  /** Writes what is staged, checks every tensor is complete, fsyncs and renames the partial file into place. */
  async finish(): Promise<{ path: string; bytes: number }> {
    this.skipCompleted();
    const incomplete = this.planned[this.current];
    if (incomplete !== undefined) {
      throw new Error(
        `${this.path}: tensor "${incomplete.name}" has ${this.writtenInCurrent} of ${incomplete.length} bytes; cannot finish`,
      );
    }
    this.throwIfFailed();
    if (this.blockFill > 0) this.submit();
    await this.settle();
    this.throwIfFailed();
    const bytes = this.blockPosition;
    this.closed = true;
    // The last O_DIRECT write was padded to the alignment.
    if (this.directIo) await this.handle.truncate(bytes);
    await this.writeback;
    await this.handle.sync();
    await this.handle.close();
    await rename(this.partialPath, this.path);
    await syncDirectory(dirname(this.path));
    return { path: this.path, bytes };
  }

  /** Closes and deletes the partial file. Safe to call after a failed write. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.settle();
      await this.writeback?.catch(() => undefined);
      await this.handle.close();
    }
    await rm(this.partialPath, { force: true });
  }

  /** Checks that `length` more bytes of `name` are due now, and counts them as written. */
  private claim(name: string, length: number): void {
    if (this.closed) throw new Error(`${this.path}: writer is already finished or aborted`);
    this.throwIfFailed();
    this.skipCompleted();
    const target = this.planned[this.current];
    if (target === undefined || target.name !== name) {
      throw new Error(
        `${this.path}: got bytes for "${name}" but the next tensor in declared order is ${
          target === undefined ? "none (all tensors complete)" : `"${target.name}"`
        }`,
      );
    }
    if (this.writtenInCurrent + length > target.length) {
      throw new Error(
        `${this.path}: "${name}" is ${target.length} bytes; writing ${length} more after ${this.writtenInCurrent} overruns it`,
      );
    }
    this.writtenInCurrent += length;
  }

  /** Bytes of each of `names`, which must be the next tensors in declared order, none started. */
  private nextWhole(names: readonly string[]): number[] {
    if (this.closed) throw new Error(`${this.path}: writer is already finished or aborted`);
    this.throwIfFailed();
    this.skipCompleted();
    let next = this.current;
    return names.map((name) => {
      // Empty tensors are complete without a write, wherever they are declared.
      while (this.planned[next]?.length === 0 && this.planned[next]?.name !== name) next += 1;
      const target = this.planned[next];
      if (target?.name !== name || (next === this.current && this.writtenInCurrent > 0))
        throw new Error(`${this.path}: "${name}" is not the next tensor still to be written whole`);
      next += 1;
      return target.length;
    });
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

  private async stage(chunk: Uint8Array): Promise<void> {
    const offThread =
      this.copy !== undefined &&
      chunk.length >= MIN_OFF_THREAD_COPY_BYTES &&
      chunk.buffer instanceof SharedArrayBuffer;
    const copies: Promise<void>[] = [];
    for (let done = 0; done < chunk.length; ) {
      const block = await this.currentBlock();
      const n = Math.min(chunk.length - done, block.length - this.blockFill);
      const source = chunk.subarray(done, done + n);
      if (offThread && this.copy !== undefined) {
        const copied = this.copy(source, block.subarray(this.blockFill, this.blockFill + n));
        copied.catch(() => undefined);
        (this.blocks[this.block] as StagingBlock).fills.push(copied);
        copies.push(copied);
      } else {
        block.set(source, this.blockFill);
      }
      this.advance(n);
      done += n;
    }
    await Promise.all(copies);
  }

  /** The staging block being filled, once its previous write and observer are done. */
  private async currentBlock(): Promise<Uint8Array> {
    const block = this.blocks[this.block] as StagingBlock;
    if (block.busy !== undefined) {
      await block.busy;
      block.busy = undefined;
    }
    this.throwIfFailed();
    return block.bytes;
  }

  private advance(bytes: number): void {
    this.blockFill += bytes;
    if (this.blockFill === (this.blocks[this.block] as StagingBlock).bytes.length) this.submit();
  }

  /**
   * Ends the current block before it is full, for bytes that must be contiguous: its whole pages
   * are written, and the bytes of its last, partial page (O_DIRECT writes whole pages) are copied
   * to the start of the next block once the fills that make them are done.
   */
  private submitWholePages(): void {
    const from = this.blocks[this.block] as StagingBlock;
    const end = this.blockFill;
    const carry = this.directIo ? end % DIRECT_IO_ALIGNMENT : 0;
    const made = Promise.all(from.fills);
    this.submit(end - carry);
    if (carry === 0) return;
    const to = this.blocks[this.block] as StagingBlock;
    const copied = Promise.all([made, to.busy]).then(() =>
      to.bytes.set(from.bytes.subarray(end - carry, end)),
    );
    copied.catch(() => undefined);
    to.fills.push(copied);
    // `from` is refilled only once its carried bytes have been read.
    const written = from.busy;
    from.busy = Promise.allSettled([written, copied]).then(() => undefined);
    this.blockFill = carry;
  }

  /** Starts writing and observing the first `length` bytes of the current block, and moves on to the next one. */
  private submit(length = this.blockFill): void {
    const block = this.blocks[this.block] as StagingBlock;
    // A block ended early for bytes written in place ends on a page; only the last one of the
    // file can end inside one, and O_DIRECT writes it whole-page, which finish() truncates.
    const writeLength = this.directIo
      ? Math.ceil(length / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT
      : length;
    block.bytes.fill(0, length, writeLength);
    const position = this.blockPosition;
    const filled = block.fills.length === 0 ? Promise.resolve() : Promise.all(block.fills);
    block.fills = [];
    const written = filled
      .then(() => writeFully(this.handle, block.bytes.subarray(0, writeLength), position))
      .then(() => this.wrote(length));
    const onBlock = this.onBlock;
    // Blocks filled in place may be complete out of order; the observer sees them in file order.
    const observed =
      onBlock === undefined
        ? undefined
        : Promise.all([filled, this.observed]).then(() => onBlock(block.bytes.subarray(0, length)));
    if (observed !== undefined)
      this.observed = observed.then(
        () => undefined,
        () => undefined,
      );
    // Both must be over before the block is refilled, even when one of them fails.
    block.busy = Promise.allSettled([written, observed]).then((outcomes) => {
      for (const o of outcomes) if (o.status === "rejected") this.failure ??= { error: o.reason };
    });
    this.blockPosition += length;
    this.blockFill = 0;
    this.block = (this.block + 1) % this.blocks.length;
  }

  /** Waits for every block in flight; failures are recorded, not thrown. */
  private async settle(): Promise<void> {
    await Promise.all(this.blocks.map((b) => b.busy));
    for (const b of this.blocks) b.busy = undefined;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** One background writeback at a time; the next starts once enough new bytes are written. */
  private wrote(bytes: number): void {
    if (this.directIo) return;
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

/**
 * Opens `path` for O_DIRECT writes and finds where in `arena` blocks must start. O_DIRECT needs
 * aligned memory and JavaScript cannot see addresses, so this tries one-page writes from
 * successive offsets (the page is overwritten later) until the kernel accepts one. Undefined where
 * O_DIRECT is unavailable: not Linux, refused by the file system, or no accepted offset.
 */
async function openDirect(
  path: string,
  arena: SharedArrayBuffer,
): Promise<{ handle: FileHandle; shift: number } | undefined> {
  const flag = constants.O_DIRECT;
  if (flag === undefined) return undefined;
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | flag);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EINVAL") return undefined;
    throw error;
  }
  // Backing stores are at least 8-byte aligned.
  for (let shift = 0; shift < DIRECT_IO_ALIGNMENT; shift += 8) {
    try {
      writeSync(handle.fd, new Uint8Array(arena, shift, DIRECT_IO_ALIGNMENT), 0, DIRECT_IO_ALIGNMENT, 0);
      return { handle, shift };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EINVAL") continue;
      await handle.close();
      throw error;
    }
  }
  await handle.close();
  return undefined;
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
