/**
 * Many kernel calls in flight (as the multi-GPU CUDA pipeline runs them) give the same output as
 * one at a time: units are written in shard order whatever order they finish in, and fused groups
 * (V4 experts' w1+w3, wq_a+wkv) keep their shared global scale. The CPU kernel stands in for the
 * GPUs here; on the GPU machine bench/gpu-convert-bench.sh checks --gpus 1, 2, 4 against it.
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
const kernel = loadCpuAddon().ok ? "cpu" : "ts";

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-conc"));
  src = join(root, "src");
  await generateCheckpoint({ family: "deepseek-v4", dir: src, routedExperts: 12, shards: 3 });
}, 60_000);
afterAll(() => cleanup());

describe("kernel calls in flight", { timeout: 60_000 }, () => {
  it("do not change a byte of the output, fused groups included", async () => {
    const one = join(root, "one");
    const result = await convertCheckpoint({ src, dst: one, kernel, shardSizeBytes: 1 << 20 });
    const grouped = result.quality.tensors.filter((t) => t.fusedGroup !== null);
    expect(grouped.length).toBeGreaterThan(0);
    const reference = await digestDir(one);
    for (const computeConcurrency of [2, 8]) {
      const dst = join(root, `in-flight-${computeConcurrency}`);
      await convertCheckpoint({ src, dst, kernel, shardSizeBytes: 1 << 20, computeConcurrency });
      expect(await digestDir(dst)).toEqual(reference);
    }
  });
});
