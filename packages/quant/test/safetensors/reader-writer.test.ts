import { createHash } from "node:crypto";
import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StagingWorker } from "../../src/convert/staging-worker.ts";
import { readSafetensorsHeader, SafetensorsReader } from "../../src/safetensors/reader.ts";
import { SafetensorsWriter } from "../../src/safetensors/writer.ts";
import { tempDir, writeRawSafetensors } from "../helpers.ts";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir("io")));
afterAll(() => cleanup());

/** Deterministic bytes: byte i = (i * 7 + seed) & 0xff. */
function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe("SafetensorsWriter + SafetensorsReader", () => {
  it("round-trips tensors written in many chunks, keeping __metadata__", async () => {
    const path = join(dir, "roundtrip.safetensors");
    const a = pattern(3 * 1000, 1); // F8_E4M3 [3, 1000]
    const b = pattern(4 * 5 * 4, 2); // F32 [4, 5]
    const writer = await SafetensorsWriter.create(
      path,
      [
        { name: "a", dtype: "F8_E4M3", shape: [3, 1000] },
        { name: "empty", dtype: "BF16", shape: [0] },
        { name: "b", dtype: "F32", shape: [4, 5] },
      ],
      { metadata: { format: "pt", note: "chunks" }, bufferBytes: 256 },
    );
    // Uneven chunks, some smaller and some larger than the writer's buffer.
    for (const [start, end] of [
      [0, 1],
      [1, 100],
      [100, 2000],
      [2000, 3000],
    ] as const) {
      await writer.write("a", a.subarray(start, end));
    }
    expect(writer.nextTensor).toBe("b"); // the zero-length tensor needs no write
    await writer.write("b", b.subarray(0, 33));
    await writer.write("b", b.subarray(33));
    expect(writer.nextTensor).toBeUndefined();
    await writer.finish();

    const reader = await SafetensorsReader.open(path);
    try {
      expect(reader.header.metadata).toEqual({ format: "pt", note: "chunks" });
      expect(reader.header.dataStart % 8).toBe(0);
      expect(reader.tensors.map((t) => t.name)).toEqual(["a", "empty", "b"]);
      expect(await reader.read("a")).toEqual(Buffer.from(a));
      expect(await reader.read("b")).toEqual(Buffer.from(b));
      expect((await reader.read("empty")).length).toBe(0);
      expect(await reader.readRange("a", 995, 10)).toEqual(Buffer.from(a.subarray(995, 1005)));
    } finally {
      await reader.close();
    }
  });

  it("streams a tensor through one reused buffer", async () => {
    const path = join(dir, "stream.safetensors");
    const data = pattern(10_000, 3);
    const writer = await SafetensorsWriter.create(path, [{ name: "x", dtype: "U8", shape: [10_000] }]);
    await writer.write("x", data);
    await writer.finish();

    const reader = await SafetensorsReader.open(path);
    const buffer = new Uint8Array(4096);
    const seen: number[] = [];
    const copy: number[] = [];
    for await (const chunk of reader.chunks("x", { buffer })) {
      expect(chunk.buffer).toBe(buffer.buffer);
      seen.push(chunk.length);
      copy.push(...chunk);
    }
    await reader.close();
    expect(seen).toEqual([4096, 4096, 1808]);
    expect(Uint8Array.from(copy)).toEqual(data);
  });

  it("copies shared chunks and hashes blocks on a staging worker: same file, its SHA-256", async () => {
    // Chunks of both kinds, large and shared (copied by the worker) and small or unshared (copied
    // here), straddling the 64 KiB staging blocks.
    const shared = (data: Uint8Array) => {
      const view = new Uint8Array(new SharedArrayBuffer(data.length));
      view.set(data);
      return view;
    };
    const a = shared(pattern(300_001, 1));
    const b = pattern(70_000, 2);
    const c = shared(pattern(100, 3));
    const d = shared(pattern(200_000, 4));
    const tensors = [
      { name: "a", dtype: "U8" as const, shape: [a.length] },
      { name: "b", dtype: "U8" as const, shape: [b.length] },
      { name: "c", dtype: "U8" as const, shape: [c.length] },
      { name: "d", dtype: "U8" as const, shape: [d.length] },
    ];
    const plain = join(dir, "plain.safetensors");
    const reference = await SafetensorsWriter.create(plain, tensors);
    for (const [t, data] of [a, b, c, d].entries()) await reference.write(tensors[t]?.name ?? "", data);
    await reference.finish();

    const worker = new StagingWorker();
    try {
      const path = join(dir, "staged.safetensors");
      const writer = await SafetensorsWriter.create(path, tensors, {
        bufferBytes: 64 * 1024,
        buffers: 3,
        directIo: true,
        onBlock: (bytes) => worker.hash(bytes),
        copy: (source, target) => worker.copy(source, target),
      });
      for (const [t, data] of [a, b, c, d].entries()) await writer.write(tensors[t]?.name ?? "", data);
      await writer.finish();
      const bytes = await readFile(path);
      expect(bytes.equals(await readFile(plain))).toBe(true);
      expect(await worker.digest()).toBe(createHash("sha256").update(bytes).digest("hex"));
    } finally {
      await worker.close();
    }
  });

  it("fills tensors in place, out of order, across staging blocks: same file, its SHA-256", async () => {
    // Groups of tensors written in place (their fills finish in reverse order, several in flight)
    // between tensors written by copy and streamed by writeFrom; blocks of 64 KiB, so groups that
    // do not fit end a block early and its last partial page is carried over (O_DIRECT and not).
    const sizes = [5000, 40_000, 3, 30_001, 777, 12_345, 45_000, 1, 20_000, 9999, 61_000, 4096];
    const data = sizes.map((n, i) => pattern(n, i));
    const tensors = sizes.map((n, i) => ({ name: `t${i}`, dtype: "U8" as const, shape: [n] }));
    const plain = join(dir, "in-place-reference.safetensors");
    const reference = await SafetensorsWriter.create(plain, tensors);
    for (const [i, bytes] of data.entries()) await reference.write(`t${i}`, bytes);
    await reference.finish();
    const groups = [[0], [1, 2], [3], [4, 5, 6], [7], [8, 9], [10], [11]];
    for (const directIo of [true, false]) {
      const worker = new StagingWorker();
      try {
        const path = join(dir, `in-place-${directIo}.safetensors`);
        const writer = await SafetensorsWriter.create(path, tensors, {
          bufferBytes: 64 * 1024,
          buffers: 3,
          directIo,
          onBlock: (bytes) => worker.hash(bytes),
        });
        const releases: (() => void)[] = [];
        const fills: Promise<number>[] = [];
        for (const [g, group] of groups.entries()) {
          if (g % 3 === 1) {
            // Written by copy, or streamed straight into the blocks.
            for (const i of group)
              if (i % 2 === 0) await writer.write(`t${i}`, data[i] as Uint8Array);
              else
                await writer.writeFrom(`t${i}`, sizes[i] as number, async (target, offset) =>
                  target.set((data[i] as Uint8Array).subarray(offset, offset + target.length)),
                );
            continue;
          }
          const { filled } = await writer.writeInPlace(
            group.map((i) => `t${i}`),
            (targets) =>
              new Promise<number>((resolve) => {
                expect(targets.map((t) => t.length)).toEqual(group.map((i) => sizes[i]));
                releases.push(() => {
                  for (const [k, i] of group.entries()) targets[k]?.set(data[i] as Uint8Array);
                  resolve(g);
                });
              }),
          );
          fills.push(filled);
          // Up to three fills in flight, finished newest first.
          if (releases.length === 3) for (const release of releases.splice(0).reverse()) release();
        }
        for (const release of releases.splice(0).reverse()) release();
        await writer.finish();
        const bytes = await readFile(path);
        expect(bytes.equals(await readFile(plain))).toBe(true);
        expect(await worker.digest()).toBe(createHash("sha256").update(bytes).digest("hex"));
        expect(await Promise.all(fills)).toEqual([0, 2, 3, 5, 6]);
      } finally {
        await worker.close();
      }
    }
  });

  it("a failed in-place fill fails the writer; out-of-order or oversized groups are refused", async () => {
    const path = join(dir, "in-place-failed.safetensors");
    const tensors = [
      { name: "a", dtype: "U8" as const, shape: [100] },
      { name: "b", dtype: "U8" as const, shape: [200_000] },
      { name: "c", dtype: "U8" as const, shape: [10] },
    ];
    const writer = await SafetensorsWriter.create(path, tensors, { bufferBytes: 64 * 1024, directIo: true });
    await expect(writer.writeInPlace(["b"], async () => undefined)).rejects.toThrow(
      /"b" is not the next tensor still to be written whole/,
    );
    await writer.write("a", pattern(50, 0));
    await expect(writer.writeInPlace(["a"], async () => undefined)).rejects.toThrow(/"a" is not the next/);
    await writer.write("a", pattern(50, 0));
    await expect(writer.writeInPlace(["b"], async () => undefined)).rejects.toThrow(
      /200000 bytes written in place need staging blocks of 200000 bytes and a page/,
    );
    await writer.write("b", pattern(200_000, 1));
    const { filled } = await writer.writeInPlace(["c"], async () => {
      throw new Error("kernel failed");
    });
    await expect(filled).rejects.toThrow("kernel failed");
    await expect(writer.finish()).rejects.toThrow("kernel failed");
    await writer.abort();
    expect((await readdir(dir)).filter((f) => f.startsWith("in-place-failed"))).toEqual([]);
  });

  it("writes to <path>.partial and renames only on finish", async () => {
    const path = join(dir, "atomic.safetensors");
    const writer = await SafetensorsWriter.create(path, [{ name: "x", dtype: "U8", shape: [4] }]);
    await writer.write("x", pattern(2, 0));
    expect(await exists(`${path}.partial`)).toBe(true);
    expect(await exists(path)).toBe(false);
    await expect(writer.finish()).rejects.toThrow(/"x" has 2 of 4 bytes/);
    await writer.write("x", pattern(2, 0));
    await writer.finish();
    expect(await exists(path)).toBe(true);
    expect(await exists(`${path}.partial`)).toBe(false);
  });

  it("abort removes the partial file and leaves nothing behind", async () => {
    const path = join(dir, "aborted.safetensors");
    const writer = await SafetensorsWriter.create(path, [{ name: "x", dtype: "U8", shape: [4] }]);
    await writer.write("x", pattern(1, 0));
    await writer.abort();
    const left = (await readdir(dir)).filter((f) => f.startsWith("aborted"));
    expect(left).toEqual([]);
    await expect(writer.write("x", pattern(1, 0))).rejects.toThrow(/already finished or aborted/);
  });

  it("enforces declared order and sizes", async () => {
    const writer = await SafetensorsWriter.create(join(dir, "order.safetensors"), [
      { name: "first", dtype: "U8", shape: [2] },
      { name: "second", dtype: "U8", shape: [2] },
    ]);
    await expect(writer.write("second", pattern(2, 0))).rejects.toThrow(
      /next tensor in declared order is "first"/,
    );
    await expect(writer.write("first", pattern(3, 0))).rejects.toThrow(/overruns/);
    await writer.abort();
  });

  it("produces the same bytes as the reference layout for a small file", async () => {
    // huggingface/safetensors' README example: {"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}
    const path = join(dir, "reference.safetensors");
    const writer = await SafetensorsWriter.create(path, [{ name: "test", dtype: "I32", shape: [2, 2] }]);
    await writer.write("test", new Uint8Array(16));
    await writer.finish();
    const bytes = await readFile(path);
    const json = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
    const padded = json.padEnd(Math.ceil(json.length / 8) * 8, " ");
    expect(Number(bytes.readBigUInt64LE(0))).toBe(padded.length);
    expect(bytes.subarray(8, 8 + padded.length).toString()).toBe(padded);
    expect(bytes.length).toBe(8 + padded.length + 16);
  });
});

describe("reading headers only", () => {
  it("readSafetensorsHeader reads a hand-built file", async () => {
    const path = join(dir, "hand.safetensors");
    await writeRawSafetensors(
      path,
      { __metadata__: { format: "pt" }, w: { dtype: "F8_E8M0", shape: [3], data_offsets: [0, 3] } },
      new Uint8Array([127, 128, 126]),
    );
    const header = await readSafetensorsHeader(path);
    expect(header.tensors).toEqual([{ name: "w", dtype: "F8_E8M0", shape: [3], begin: 0, end: 3 }]);
    expect(header.fileSize).toBe(header.dataStart + 3);
  });

  it("reports a truncated file with the tensor cut off", async () => {
    const path = join(dir, "truncated.safetensors");
    await writeRawSafetensors(
      path,
      { w: { dtype: "U8", shape: [100], data_offsets: [0, 100] } },
      new Uint8Array(40),
    );
    await expect(readSafetensorsHeader(path)).rejects.toMatchObject({
      name: "CheckpointFormatError",
      file: path,
      tensor: "w",
    });
  });
});
