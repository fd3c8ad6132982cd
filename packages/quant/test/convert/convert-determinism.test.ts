/**
 * The output is a pure function of the source and the options: the same bytes (every file,
 * manifest and reports included) whatever the kernel, the number of worker threads, the memory
 * budget of the pipeline, the units quantized in place or the number of shards written at once.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { loadCpuAddon } from "../../src/nvfp4/native-loader.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";
import { digestDir } from "./helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
let src: string;
let reference: Record<string, string>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-det"));
  src = join(root, "src");
  await generateCheckpoint({ family: "deepseek-v4", dir: src, routedExperts: 12, shards: 3 });
  const dst = join(root, "ts");
  await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: 1 << 20 });
  reference = await digestDir(dst);
}, 60_000);
afterAll(() => cleanup());

const nativeAvailable = loadCpuAddon().ok;

describe("byte-identical output", { timeout: 60_000 }, () => {
  it.skipIf(!nativeAvailable)("C++ addon with 1 and 2 threads = TypeScript reference", async () => {
    for (const workers of [1, 2]) {
      const dst = join(root, `cpu-${workers}`);
      const result = await convertCheckpoint({ src, dst, kernel: "cpu", workers, shardSizeBytes: 1 << 20 });
      expect(result.kernel.name).toBe("cpu-native");
      expect(await digestDir(dst)).toEqual(reference);
    }
  });

  it("does not depend on how far the pipeline reads ahead", async () => {
    const dst = join(root, "one-at-a-time");
    await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: 1 << 20, memoryBudgetBytes: 1 });
    expect(await digestDir(dst)).toEqual(reference);
  });

  it("does not depend on which NVFP4 units are quantized straight into the staging blocks", async () => {
    // With attention quantized (loaded by no engine for V4, hence `force`), units have 6916, 10372 and 13828 bytes of outputs. 16 KiB blocks
    // take the first two in place (each with a page to spare) and copy the third in between them;
    // 1 byte takes none in place; the default takes all.
    const options = {
      src,
      kernel: "ts" as const,
      shardSizeBytes: 1 << 20,
      quantizeAttention: true,
      force: true,
    };
    await convertCheckpoint({ ...options, dst: join(root, "attention") });
    const expected = await digestDir(join(root, "attention"));
    for (const maxStagingBlockBytes of [1, 16 * 1024]) {
      for (const kernel of nativeAvailable ? (["ts", "cpu"] as const) : (["ts"] as const)) {
        const dst = join(root, `staging-${maxStagingBlockBytes}-${kernel}`);
        await convertCheckpoint({ ...options, dst, kernel, maxStagingBlockBytes });
        expect(await digestDir(dst)).toEqual(expected);
      }
    }
  });

  it("does not depend on how many shards are written at once", async () => {
    for (const shardsInFlight of [2, 4]) {
      const dst = join(root, `shards-${shardsInFlight}`);
      await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: 1 << 20, shardsInFlight });
      expect(await digestDir(dst)).toEqual(reference);
    }
  });

  it("writes several shards and lists each in the manifest", () => {
    const shards = Object.keys(reference).filter((f) => f.endsWith(".safetensors"));
    expect(shards.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(reference)).toContain("fp4kit-manifest.json");
  });
});
