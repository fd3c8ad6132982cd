/**
 * The bad-input table: each malformed checkpoint gets an error naming the file, the
 * tensor (when there is one) and what was expected, and `fp4kit inspect` writes nothing.
 */
import { mkdir, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/main.ts";
import { inspectCheckpoint } from "../src/inspect/report.ts";
import { CheckpointFormatError } from "../src/safetensors/errors.ts";
import { generateCheckpoint } from "../src/synthetic/generate.ts";
import { memoryIo, tempDir, writeRawSafetensors, writeSingleFileCheckpoint } from "./helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir("bad-input")));
afterAll(() => cleanup());

const V3_CONFIG = {
  model_type: "deepseek_v3",
  quantization_config: { quant_method: "fp8", weight_block_size: [128, 128] },
};
const WEIGHT = "model.layers.0.mlp.down_proj.weight";

interface BadCase {
  name: string;
  /** Builds the broken checkpoint in `dir`. */
  setup: (dir: string) => Promise<void>;
  /** Base name of the file the error must name. */
  file: string;
  tensor?: string;
  expected: RegExp;
}

async function syntheticV3(dir: string): Promise<void> {
  await generateCheckpoint({ family: "deepseek-v3", dir, shards: 3 });
}

const SHARD_2 = "model-00002-of-00003.safetensors";

const CASES: BadCase[] = [
  {
    name: "truncated file",
    setup: async (dir) => {
      await syntheticV3(dir);
      const path = join(dir, SHARD_2);
      await truncate(path, (await stat(path)).size - 10);
    },
    file: SHARD_2,
    tensor: "model.layers.3.eh_proj.weight", // the last tensor of the shard
    expected: /within the \d+ data bytes of the file \(truncated file\?\)/,
  },
  {
    name: "header length past EOF",
    setup: async (dir) => {
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(4096n);
      await writeFile(join(dir, "model.safetensors"), Buffer.concat([prefix, Buffer.from('{"a":1}')]));
    },
    file: "model.safetensors",
    expected: /header of 4096 bytes within the file/,
  },
  {
    name: "invalid JSON header",
    setup: (dir) => writeRawSafetensors(join(dir, "model.safetensors"), '{"w": {"dtype": "F32",'),
    file: "model.safetensors",
    expected: /valid JSON header/,
  },
  {
    name: "unknown dtype",
    setup: (dir) =>
      writeRawSafetensors(
        join(dir, "model.safetensors"),
        { w: { dtype: "F7_E3M3", shape: [2], data_offsets: [0, 2] } },
        new Uint8Array(2),
      ),
    file: "model.safetensors",
    tensor: "w",
    expected: /a known safetensors dtype/,
  },
  {
    name: "shape/span mismatch",
    setup: (dir) =>
      writeRawSafetensors(
        join(dir, "model.safetensors"),
        { w: { dtype: "BF16", shape: [4, 4], data_offsets: [0, 16] } },
        new Uint8Array(16),
      ),
    file: "model.safetensors",
    tensor: "w",
    expected: /data_offsets spanning 32 bytes for BF16 \[4,4\]/,
  },
  {
    name: "overlapping spans",
    setup: (dir) =>
      writeRawSafetensors(
        join(dir, "model.safetensors"),
        {
          a: { dtype: "U8", shape: [8], data_offsets: [0, 8] },
          b: { dtype: "U8", shape: [8], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      ),
    file: "model.safetensors",
    tensor: "b",
    expected: /data_offsets that do not overlap another tensor/,
  },
  {
    name: "index naming a missing shard",
    setup: async (dir) => {
      await syntheticV3(dir);
      await rm(join(dir, SHARD_2));
    },
    file: "model.safetensors.index.json",
    tensor: "model.layers.1.mlp.experts.2.down_proj.weight_scale_inv", // first weight_map entry in that shard
    expected: new RegExp(`shard "${SHARD_2}" named by the index to exist`),
  },
  {
    name: "index naming a tensor not in its shard",
    setup: async (dir) => {
      await syntheticV3(dir);
      const indexPath = join(dir, "model.safetensors.index.json");
      const index = JSON.parse(await readFile(indexPath, "utf8"));
      index.weight_map["model.layers.0.mlp.ghost.weight"] = SHARD_2;
      await writeFile(indexPath, JSON.stringify(index));
    },
    file: SHARD_2,
    tensor: "model.layers.0.mlp.ghost.weight",
    expected: /the tensor that model\.safetensors\.index\.json maps to this shard/,
  },
  {
    name: "FP8 weight without scale",
    setup: (dir) =>
      writeSingleFileCheckpoint(dir, [{ name: WEIGHT, dtype: "F8_E4M3", shape: [256, 256] }], V3_CONFIG),
    file: "model.safetensors",
    tensor: WEIGHT,
    expected: /a scale companion ".*down_proj\.weight_scale_inv" or ".*down_proj\.scale" for this FP8 weight/,
  },
  {
    name: "scale with the wrong shape",
    setup: (dir) =>
      writeSingleFileCheckpoint(
        dir,
        [
          { name: WEIGHT, dtype: "F8_E4M3", shape: [256, 256] },
          { name: "model.layers.0.mlp.down_proj.weight_scale_inv", dtype: "F32", shape: [3, 2] },
        ],
        V3_CONFIG,
      ),
    file: "model.safetensors",
    tensor: "model.layers.0.mlp.down_proj.weight_scale_inv",
    expected:
      /shape \[2,2\] for weight \[256,256\] with 128x128 blocks \(from config\.json weight_block_size\)/,
  },
  {
    name: "empty directory",
    setup: async () => {},
    file: "",
    expected: /a checkpoint directory with model\.safetensors\.index\.json or model\.safetensors/,
  },
];

describe.each(CASES)("bad input: $name", (c) => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, c.name.replaceAll(/\W+/g, "-"));
    await mkdir(dir, { recursive: true });
    await c.setup(dir);
  });

  it("throws a CheckpointFormatError naming file, tensor and expectation", async () => {
    const error = await inspectCheckpoint(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointFormatError);
    const formatError = error as CheckpointFormatError;
    expect(formatError.file).toBe(join(dir, c.file));
    expect(formatError.tensor).toBe(c.tensor);
    expect(formatError.expected).toMatch(c.expected);
    expect(formatError.message).toContain(formatError.file);
    if (c.tensor !== undefined) expect(formatError.message).toContain(`"${c.tensor}"`);
  });

  it("makes `fp4kit inspect` exit 1 with that message and write nothing", async () => {
    const out = join(root, `${c.name.replaceAll(/\W+/g, "-")}-report`);
    const io = memoryIo(root);
    const code = await runCli(["node", "fp4kit", "inspect", dir, "--out", out], io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/^error: /);
    expect(io.err()).toContain(join(dir, c.file));
    expect(io.err()).toMatch(c.expected);
    expect(io.out()).toBe("");
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});
