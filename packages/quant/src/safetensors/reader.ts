/**
 * Reads safetensors files by byte ranges through a FileHandle: the header once, then only the
 * bytes asked for. Nothing maps or loads a whole file.
 */
import { type FileHandle, open } from "node:fs/promises";
import { CheckpointFormatError } from "./errors.ts";
import {
  HEADER_LENGTH_BYTES,
  parseHeader,
  parseHeaderLength,
  type SafetensorsHeader,
  type TensorEntry,
} from "./header.ts";

/** Default size of one streamed chunk. */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

/** Opens, parses and validates only the header of a safetensors file. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await open(path, "r");
  try {
    return await readHeaderFrom(handle, path);
  } finally {
    await handle.close();
  }
}

async function readHeaderFrom(handle: FileHandle, path: string): Promise<SafetensorsHeader> {
  const { size } = await handle.stat();
  const prefix = Buffer.alloc(HEADER_LENGTH_BYTES);
  await readExactly(handle, prefix, 0, Math.min(size, HEADER_LENGTH_BYTES), path);
  const headerLength = parseHeaderLength(prefix, path, size);
  const json = Buffer.alloc(headerLength);
  await readExactly(handle, json, HEADER_LENGTH_BYTES, headerLength, path);
  return parseHeader(json, path, size);
}

/** Reads `length` bytes at `position` into `target`, failing if the file ends early. */
async function readExactly(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  length: number,
  path: string,
  tensor?: string,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(target, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new CheckpointFormatError({
        file: path,
        tensor,
        expected: `${length} bytes at offset ${position}`,
        found: `end of file after ${done} bytes (file truncated while reading?)`,
      });
    }
    done += bytesRead;
  }
}

export class SafetensorsReader {
  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Opens a file for reading. Pass a header already parsed from this file (e.g. by `Checkpoint`)
   * to skip parsing it again; it is trusted only if the file size still matches.
   */
  static async open(path: string, knownHeader?: SafetensorsHeader): Promise<SafetensorsReader> {
    const handle = await open(path, "r");
    try {
      let header = knownHeader;
      if (header === undefined || (await handle.stat()).size !== header.fileSize) {
        header = await readHeaderFrom(handle, path);
      }
      return new SafetensorsReader(path, header, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get tensors(): readonly TensorEntry[] {
    return this.header.tensors;
  }

  tensor(name: string): TensorEntry {
    const entry = this.header.byName.get(name);
    if (entry === undefined) {
      throw new CheckpointFormatError({
        file: this.path,
        tensor: name,
        expected: "the tensor to be in this file",
      });
    }
    return entry;
  }

  /** Whole tensor into a new buffer; for tensors that fit comfortably in memory. */
  async read(name: string): Promise<Buffer> {
    const entry = this.tensor(name);
    const out = Buffer.allocUnsafe(entry.end - entry.begin);
    await this.readInto(entry, 0, out.length, out);
    return out;
  }

  /**
   * Bytes [offset, offset + length) of a tensor's data into `target` (or a new buffer).
   * Returns the filled view.
   */
  async readRange(name: string, offset: number, length: number, target?: Uint8Array): Promise<Uint8Array> {
    const entry = this.tensor(name);
    const size = entry.end - entry.begin;
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new RangeError(
        `${this.path}: "${name}" has ${size} bytes; cannot read [${offset}, ${offset + length})`,
      );
    }
    const out = target === undefined ? Buffer.allocUnsafe(length) : target.subarray(0, length);
    if (out.length < length)
      throw new RangeError(`target buffer of ${target?.length} bytes is smaller than ${length}`);
    await this.readInto(entry, offset, length, out);
    return out;
  }

  /**
   * Streams a tensor's bytes in chunks. Every chunk is a view of ONE reused buffer (`buffer`, or
   * one allocated here), valid only until the next iteration: copy it if you keep it.
   */
  async *chunks(
    name: string,
    options: { chunkBytes?: number; buffer?: Uint8Array } = {},
  ): AsyncGenerator<Uint8Array, void, void> {
    const entry = this.tensor(name);
    const size = entry.end - entry.begin;
    const buffer =
      options.buffer ?? Buffer.allocUnsafe(Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, size));
    const chunkBytes = Math.min(options.chunkBytes ?? buffer.length, buffer.length);
    if (chunkBytes <= 0 && size > 0) throw new RangeError("chunk buffer must not be empty");
    for (let offset = 0; offset < size; offset += chunkBytes) {
      const length = Math.min(chunkBytes, size - offset);
      const view = buffer.subarray(0, length);
      await this.readInto(entry, offset, length, view);
      yield view;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private readInto(entry: TensorEntry, offset: number, length: number, target: Uint8Array): Promise<void> {
    const position = this.header.dataStart + entry.begin + offset;
    return readExactly(this.handle, target, position, length, this.path, entry.name);
  }
}
