import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { CheckpointFormatError } from "../../src/safetensors/errors.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir, writeSingleFileCheckpoint } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir("checkpoint")));
afterAll(() => cleanup());

describe("Checkpoint.open", () => {
  it("maps every tensor of a sharded checkpoint to its shard through the index", async () => {
    const dir = join(root, "sharded");
    const generated = await generateCheckpoint({ family: "deepseek-v3", dir, shards: 4 });
    const checkpoint = await Checkpoint.open(dir);
    expect(checkpoint.layout).toBe("sharded");
    expect(checkpoint.shards.map((s) => s.file)).toEqual(generated.shards);
    expect(checkpoint.tensors.size).toBe(generated.tensorCount);
    expect(checkpoint.tensorBytes).toBe(generated.tensorBytes);
    expect(checkpoint.index?.metadata?.total_size).toBe(generated.tensorBytes);
    expect(checkpoint.config?.model_type).toBe("deepseek_v3");
    expect(checkpoint.otherFiles).toEqual([
      "config.json",
      "generation_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);

    const index = JSON.parse(await readFile(join(dir, "model.safetensors.index.json"), "utf8"));
    for (const [name, file] of Object.entries(index.weight_map)) {
      expect(checkpoint.tensor(name)?.file).toBe(file);
    }
  });

  it("reads tensor bytes through its shard", async () => {
    const dir = join(root, "sharded");
    const checkpoint = await Checkpoint.open(dir);
    const scale = await checkpoint.readTensor("model.layers.0.mlp.down_proj.weight_scale_inv");
    const entry = checkpoint.tensor("model.layers.0.mlp.down_proj.weight_scale_inv");
    expect(entry?.shape).toEqual([2, 4]); // [ceil(192/128), ceil(400/128)]
    expect(scale.length).toBe(2 * 4 * 4);
    const values = new Float32Array(scale.buffer, scale.byteOffset, 8);
    for (const v of values) expect(v).toBeGreaterThan(0);

    const reader = await checkpoint.openShard(entry?.file ?? "");
    expect(reader.header).toBe(checkpoint.shards.find((s) => s.file === entry?.file)?.header);
    await reader.close();
  });

  it("opens a single-file checkpoint without index or config", async () => {
    const dir = join(root, "single");
    await writeSingleFileCheckpoint(dir, [{ name: "x", dtype: "F32", shape: [2] }]);
    const checkpoint = await Checkpoint.open(dir);
    expect(checkpoint.layout).toBe("single");
    expect(checkpoint.index).toBeUndefined();
    expect(checkpoint.config).toBeUndefined();
    expect([...checkpoint.tensors.keys()]).toEqual(["x"]);
  });

  it("a one-shard synthetic checkpoint is written as model.safetensors", async () => {
    const dir = join(root, "one-shard");
    const generated = await generateCheckpoint({ family: "deepseek-v4", dir, shards: 1 });
    expect(generated.shards).toEqual(["model.safetensors"]);
    const checkpoint = await Checkpoint.open(dir);
    expect(checkpoint.layout).toBe("single");
    expect(checkpoint.tensors.size).toBe(generated.tensorCount);
  });

  it("refuses an invalid config.json and shard names that leave the directory", async () => {
    const dir = join(root, "bad-json");
    await writeSingleFileCheckpoint(dir, [{ name: "x", dtype: "F32", shape: [2] }]);
    await writeFile(join(dir, "config.json"), "{ nope");
    await expect(Checkpoint.open(dir)).rejects.toMatchObject({
      file: join(dir, "config.json"),
      expected: "valid JSON (a model config object)",
    });

    await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: 3 }));
    await expect(Checkpoint.open(dir)).rejects.toThrow(
      /config\.json: expected a model config object, found .* at model_type/,
    );

    await writeFile(join(dir, "config.json"), "{}");
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { x: "../elsewhere/model.safetensors" } }),
    );
    const error = await Checkpoint.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as CheckpointFormatError).found).toMatch(/without directories/);
  });
});
