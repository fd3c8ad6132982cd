/**
 * `fp4kit verify` end to end on the project's Python environment (safetensors + torch, set up by
 * the suite's global setup): a converted synthetic checkpoint passes, and one whose packed codes
 * have their nibbles swapped fails on its error against the FP8 source.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { memoryIo, tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("verify"));
  await generateCheckpoint({ family: "deepseek-v3", dir: join(root, "src") });
  const io = memoryIo(root);
  expect(await runCli(["node", "fp4kit", "convert", "--src", "src", "--dst", "out"], io)).toBe(0);
});
afterAll(() => cleanup());

const verify = (io: ReturnType<typeof memoryIo>, dir: string) =>
  runCli(
    [
      "node",
      "fp4kit",
      "verify",
      dir,
      "--reference",
      "src",
      "--all",
      "--expect-gaussian",
      "--generate-tokens",
      "0",
    ],
    io,
  );

describe("fp4kit verify with Python", { timeout: 120_000 }, () => {
  it("passes a converted checkpoint, with errors in NVFP4's band", async () => {
    const io = memoryIo(root);
    expect(await verify(io, "out"), io.err()).toBe(0);
    expect(io.out()).toMatch(/verdict: \*\*pass\*\*/);
    expect(io.out()).toMatch(/relative RMS error vs FP8: median 0\.09\d+/);
    expect(io.err()).toMatch(/verification passed/);
  });

  it("fails a checkpoint whose FP4 nibbles are swapped", async () => {
    const out = join(root, "out");
    const shard = join(out, "model-00001-of-00001.safetensors");
    const bytes = new Uint8Array(await readFile(shard));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    for (const [name, entry] of Object.entries<{ data_offsets: [number, number] }>(header)) {
      if (!name.endsWith(".weight_packed")) continue;
      const [begin, end] = entry.data_offsets;
      for (let i = 8 + headerLength + begin; i < 8 + headerLength + end; i++) {
        const b = bytes[i] as number;
        bytes[i] = ((b & 0x0f) << 4) | (b >> 4);
      }
    }
    await writeFile(shard, bytes);
    const io = memoryIo(root);
    expect(await verify(io, "out")).toBe(1);
    expect(io.err()).toMatch(
      /verification failed: .*relative RMS error \d\.\d+ > 0\.2 \(nibble order or scale relation wrong\?\)/,
    );
  });
});
