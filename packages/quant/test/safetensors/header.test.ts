import { SAFETENSORS_DTYPES } from "@fp4kit/protocol";
import { describe, expect, it } from "vitest";
import { elementCount, isDtype, tensorByteLength } from "../../src/safetensors/dtypes.ts";
import { CheckpointFormatError } from "../../src/safetensors/errors.ts";
import {
  encodeHeader,
  MAX_HEADER_BYTES,
  parseHeader,
  parseHeaderLength,
} from "../../src/safetensors/header.ts";

const FILE = "/ckpt/model.safetensors";

/** Parses header JSON as if it sat in a file with `dataLength` data bytes after it. */
function parse(json: string | object, dataLength: number) {
  const bytes = Buffer.from(typeof json === "string" ? json : JSON.stringify(json));
  return parseHeader(bytes, FILE, 8 + bytes.length + dataLength);
}

function catchError(fn: () => unknown): CheckpointFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CheckpointFormatError) return error;
    throw error;
  }
  throw new Error("expected a CheckpointFormatError");
}

describe("dtypes", () => {
  it("knows the dtypes DeepSeek checkpoints use, with their widths", () => {
    for (const d of [
      "F8_E4M3",
      "F8_E5M2",
      "F8_E8M0",
      "U8",
      "I8",
      "BF16",
      "F16",
      "F32",
      "F64",
      "I32",
      "I64",
      "BOOL",
    ]) {
      expect(isDtype(d), d).toBe(true);
    }
    expect(isDtype("F7")).toBe(false);
    expect(isDtype("constructor")).toBe(false);
    expect(SAFETENSORS_DTYPES).toContain("F8_E8M0");
    expect(tensorByteLength("BF16", [3, 5])).toBe(30);
    expect(tensorByteLength("F8_E8M0", [7])).toBe(7);
    expect(tensorByteLength("F64", [])).toBe(8);
    expect(elementCount([0, 4])).toBe(0);
  });

  it("counts sub-byte dtypes in bits and refuses partial bytes", () => {
    expect(tensorByteLength("F4", [4, 6])).toBe(12);
    expect(tensorByteLength("F4", [3])).toBeUndefined();
    expect(tensorByteLength("F6_E2M3", [4])).toBe(3);
  });
});

describe("encodeHeader", () => {
  it("pads the JSON with spaces to 8 bytes, keeps __metadata__ and lays tensors out contiguously", () => {
    const { bytes, dataLength } = encodeHeader(
      [
        { name: "a", dtype: "F32", shape: [2, 3] },
        { name: "b", dtype: "F8_E4M3", shape: [5] },
        { name: "empty", dtype: "BF16", shape: [0, 4] },
      ],
      { format: "pt" },
    );
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    expect(bytes.length).toBe(8 + n);
    const json = JSON.parse(bytes.subarray(8).toString("utf8"));
    expect(json.__metadata__).toEqual({ format: "pt" });
    expect(json.a).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
    expect(json.b.data_offsets).toEqual([24, 29]);
    expect(json.empty.data_offsets).toEqual([29, 29]);
    expect(dataLength).toBe(29);
  });

  it("refuses duplicate or reserved names", () => {
    expect(() => encodeHeader([{ name: "__metadata__", dtype: "U8", shape: [1] }], undefined)).toThrow(
      /reserved/,
    );
    const dup = { name: "x", dtype: "U8" as const, shape: [1] };
    expect(() => encodeHeader([dup, dup], undefined)).toThrow(/twice/);
  });

  it("round-trips through parseHeader", () => {
    const tensors = [
      { name: "w", dtype: "F8_E4M3" as const, shape: [256, 200] },
      { name: "w_scale", dtype: "F32" as const, shape: [2, 2] },
    ];
    const { bytes, dataLength } = encodeHeader(tensors, undefined);
    const header = parseHeader(bytes.subarray(8), FILE, bytes.length + dataLength);
    expect(header.dataStart).toBe(bytes.length);
    expect(header.metadata).toBeUndefined();
    expect(header.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([
      ["w", 0, 51200],
      ["w_scale", 51200, 51216],
    ]);
  });
});

describe("parseHeader", () => {
  it("accepts the reference example and orders tensors by offset, not by key", () => {
    // The example from huggingface/safetensors' docs, plus a second tensor listed first.
    const header = parse(
      {
        later: { dtype: "U8", shape: [2], data_offsets: [16, 18] },
        test: { dtype: "I32", shape: [2, 2], data_offsets: [0, 16] },
        __metadata__: { source: "unit" },
      },
      18,
    );
    expect(header.tensors.map((t) => t.name)).toEqual(["test", "later"]);
    expect(header.byName.get("later")?.shape).toEqual([2]);
    expect(header.metadata).toEqual({ source: "unit" });
  });

  it("rejects invalid JSON, naming the file", () => {
    const error = catchError(() => parse("{not json", 0));
    expect(error.file).toBe(FILE);
    expect(error.expected).toMatch(/valid JSON header/);
  });

  it("rejects a header that is not an object", () => {
    expect(catchError(() => parse("[1, 2]", 0)).found).toBe("an array");
  });

  it("rejects an unknown dtype, naming the tensor", () => {
    const error = catchError(() => parse({ w: { dtype: "F7", shape: [1], data_offsets: [0, 1] } }, 1));
    expect(error.tensor).toBe("w");
    expect(error.expected).toMatch(/known safetensors dtype/);
    expect(error.found).toBe('"F7"');
  });

  it("rejects a span that does not match shape × dtype size", () => {
    const error = catchError(() => parse({ w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 8] } }, 8));
    expect(error.tensor).toBe("w");
    expect(error.expected).toMatch(/spanning 16 bytes for F32 \[2,2\]/);
  });

  it("rejects overlapping spans", () => {
    const error = catchError(() =>
      parse(
        {
          a: { dtype: "U8", shape: [16], data_offsets: [0, 16] },
          b: { dtype: "U8", shape: [16], data_offsets: [8, 24] },
        },
        24,
      ),
    );
    expect(error.tensor).toBe("b");
    expect(error.expected).toMatch(/do not overlap/);
    expect(error.found).toMatch(/"a"/);
  });

  it("rejects holes between tensors (the reference reader does too)", () => {
    const error = catchError(() => parse({ a: { dtype: "U8", shape: [4], data_offsets: [4, 8] } }, 8));
    expect(error.expected).toMatch(/start at byte 0/);
  });

  it("rejects spans past the end of the file (truncated data)", () => {
    const error = catchError(() => parse({ a: { dtype: "U8", shape: [16], data_offsets: [0, 16] } }, 10));
    expect(error.tensor).toBe("a");
    expect(error.expected).toMatch(/within the 10 data bytes/);
  });

  it("rejects trailing bytes after the last tensor", () => {
    const error = catchError(() => parse({ a: { dtype: "U8", shape: [4], data_offsets: [0, 4] } }, 6));
    expect(error.expected).toMatch(/end where the last tensor ends/);
  });

  it("rejects non-string metadata and malformed entries", () => {
    expect(catchError(() => parse({ __metadata__: { n: 1 } }, 0)).expected).toMatch(/"__metadata__"."n"/);
    expect(
      catchError(() => parse({ w: { dtype: "U8", shape: [-1], data_offsets: [0, 0] } }, 0)).expected,
    ).toMatch(/non-negative integers/);
    expect(
      catchError(() => parse({ w: { dtype: "U8", shape: [1], data_offsets: [0] } }, 1)).expected,
    ).toMatch(/\[begin, end\]/);
  });
});

describe("parseHeaderLength", () => {
  const prefix = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };

  it("reads the little-endian length", () => {
    expect(parseHeaderLength(prefix(24n), FILE, 100)).toBe(24);
  });

  it("rejects files shorter than 8 bytes", () => {
    expect(catchError(() => parseHeaderLength(Buffer.alloc(3), FILE, 3)).expected).toMatch(
      /8-byte header length/,
    );
  });

  it("rejects a header length past the end of file", () => {
    const error = catchError(() => parseHeaderLength(prefix(1000n), FILE, 100));
    expect(error.file).toBe(FILE);
    expect(error.expected).toMatch(/past the end of file/);
  });

  it("rejects headers over 100 MB", () => {
    const error = catchError(() => parseHeaderLength(prefix(BigInt(MAX_HEADER_BYTES + 1)), FILE, 2e9));
    expect(error.expected).toMatch(/at most 100000000 bytes/);
  });
});
