/**
 * The safetensors header: an 8-byte little-endian length N, then N bytes of JSON mapping tensor
 * names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte after the
 * header) plus an optional "__metadata__" map of strings.
 *
 * Validation follows the reference reader (huggingface/safetensors, safetensors/src/tensor.rs:
 * `read_metadata` / `Metadata::validate`): header at most 100 MB, every span matches
 * shape × dtype size, spans are contiguous from 0 with no overlaps or holes, and the last span
 * ends exactly at the end of the file. A file Python's `safetensors` would refuse is refused here.
 */
import { type Dtype, isDtype, tensorByteLength } from "./dtypes.ts";
import { CheckpointFormatError } from "./errors.ts";

/** The reference reader's limit (MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;
export const HEADER_LENGTH_BYTES = 8;
const METADATA_KEY = "__metadata__";

export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Byte offset of the first byte, relative to the start of the data section. */
  begin: number;
  /** Byte offset one past the last byte, relative to the start of the data section. */
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  /** Size of the whole file in bytes. */
  fileSize: number;
  /** Length of the JSON header (N), including any padding spaces. */
  headerLength: number;
  /** Absolute file offset where tensor data starts (8 + N). */
  dataStart: number;
  metadata: Record<string, string> | undefined;
  /** Tensors in data order (ascending offsets). */
  tensors: TensorEntry[];
  byName: Map<string, TensorEntry>;
}

/** Reads N from the 8-byte prefix and checks it fits the file. */
export function parseHeaderLength(prefix: Uint8Array, file: string, fileSize: number): number {
  if (fileSize < HEADER_LENGTH_BYTES || prefix.length < HEADER_LENGTH_BYTES) {
    throw new CheckpointFormatError({
      file,
      expected: "an 8-byte header length at the start of the file",
      found: `a file of ${fileSize} bytes`,
    });
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, HEADER_LENGTH_BYTES);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointFormatError({
      file,
      expected: `a header length of at most ${MAX_HEADER_BYTES} bytes`,
      found: `${n}`,
    });
  }
  const headerLength = Number(n);
  if (HEADER_LENGTH_BYTES + headerLength > fileSize) {
    throw new CheckpointFormatError({
      file,
      expected: `a header of ${headerLength} bytes within the file (header length points past the end of file)`,
      found: `a file of ${fileSize} bytes`,
    });
  }
  return headerLength;
}

/** Parses and validates the JSON header bytes (without the 8-byte prefix). */
export function parseHeader(json: Uint8Array, file: string, fileSize: number): SafetensorsHeader {
  const headerLength = json.length;
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const raw = parseJsonObject(json, file);

  let metadata: Record<string, string> | undefined;
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, file);
      continue;
    }
    tensors.push(parseTensorEntry(name, value, file));
  }

  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  validateSpans(tensors, file, fileSize - dataStart);

  return {
    file,
    fileSize,
    headerLength,
    dataStart,
    metadata,
    tensors,
    byName: new Map(tensors.map((t) => [t.name, t])),
  };
}

function parseJsonObject(json: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch {
    throw new CheckpointFormatError({ file, expected: "a UTF-8 JSON header" });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFormatError({
      file,
      expected: "a valid JSON header",
      found: (error as Error).message,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointFormatError({ file, expected: "a JSON object as header", found: describe(parsed) });
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CheckpointFormatError({ file, expected: `"${METADATA_KEY}" to be an object of strings` });
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new CheckpointFormatError({
        file,
        expected: `"${METADATA_KEY}"."${key}" to be a string`,
        found: describe(v),
      });
    }
  }
  return { ...(value as Record<string, string>) };
}

function parseTensorEntry(name: string, value: unknown, file: string): TensorEntry {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CheckpointFormatError({
      file,
      tensor: name,
      expected: "an object {dtype, shape, data_offsets}",
    });
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !isDtype(dtype)) {
    throw new CheckpointFormatError({
      file,
      tensor: name,
      expected:
        "a known safetensors dtype (F8_E4M3, F8_E5M2, F8_E8M0, BF16, F16, F32, F64, U8, I8, I32, I64, BOOL, ...)",
      found: JSON.stringify(dtype),
    });
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new CheckpointFormatError({
      file,
      tensor: name,
      expected: "shape to be an array of non-negative integers",
      found: JSON.stringify(shape),
    });
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new CheckpointFormatError({
      file,
      tensor: name,
      expected: "data_offsets to be [begin, end] non-negative integers",
      found: JSON.stringify(offsets),
    });
  }
  const [begin, end] = offsets as [number, number];
  const byteLength = tensorByteLength(dtype, shape);
  if (byteLength === undefined || end < begin || end - begin !== byteLength) {
    throw new CheckpointFormatError({
      file,
      tensor: name,
      expected: `data_offsets spanning ${byteLength ?? "a whole number of"} bytes for ${dtype} ${JSON.stringify(shape)}`,
      found: `[${begin}, ${end}] (${end - begin} bytes)`,
    });
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Spans must tile [0, dataLength) exactly, in order, like the reference reader requires. */
function validateSpans(sorted: TensorEntry[], file: string, dataLength: number): void {
  let cursor = 0;
  for (const t of sorted) {
    if (t.begin < cursor) {
      const previous = sorted.find((o) => o !== t && o.begin < t.end && t.begin < o.end);
      throw new CheckpointFormatError({
        file,
        tensor: t.name,
        expected: "data_offsets that do not overlap another tensor",
        found: `[${t.begin}, ${t.end}] overlapping "${previous?.name}"`,
      });
    }
    if (t.begin > cursor) {
      throw new CheckpointFormatError({
        file,
        tensor: t.name,
        expected: `data to start at byte ${cursor} of the data section (tensors are stored contiguously)`,
        found: `a gap: data_offsets [${t.begin}, ${t.end}]`,
      });
    }
    if (t.end > dataLength) {
      throw new CheckpointFormatError({
        file,
        tensor: t.name,
        expected: `data_offsets within the ${dataLength} data bytes of the file (truncated file?)`,
        found: `[${t.begin}, ${t.end}]`,
      });
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) {
    throw new CheckpointFormatError({
      file,
      expected: `the file to end where the last tensor ends (${cursor} data bytes)`,
      found: `${dataLength} data bytes`,
    });
  }
}

export interface HeaderTensor {
  name: string;
  dtype: Dtype;
  shape: readonly number[];
}

/**
 * Encodes a header for tensors stored in the given order, contiguously from offset 0: the 8-byte
 * length prefix plus JSON padded with spaces to a multiple of 8 bytes (as the reference writer
 * does, so the data section stays 8-byte aligned).
 */
export function encodeHeader(
  tensors: readonly HeaderTensor[],
  metadata: Record<string, string> | undefined,
): { bytes: Buffer; dataLength: number } {
  const entries: Record<string, unknown> = {};
  if (metadata !== undefined) entries[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || Object.hasOwn(entries, t.name)) {
      throw new Error(`safetensors header: tensor name "${t.name}" is reserved or declared twice`);
    }
    const length = tensorByteLength(t.dtype, t.shape);
    if (length === undefined) {
      throw new Error(
        `safetensors header: ${t.dtype} ${JSON.stringify(t.shape)} is not a whole number of bytes`,
      );
    }
    entries[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  const json = Buffer.from(JSON.stringify(entries), "utf8");
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = Buffer.alloc(HEADER_LENGTH_BYTES + padded, 0x20);
  bytes.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(bytes, HEADER_LENGTH_BYTES);
  return { bytes, dataLength: offset };
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}
