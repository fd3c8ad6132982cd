import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCheckpoints } from "../src/checkpoints.ts";

describe("findCheckpoints", () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "fp4kit-checkpoints-"));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("finds checkpoint folders nearest the roots first, with their quantization and weight bytes", async () => {
    const fp8 = join(root, "DeepSeek-V3-FP8");
    const generated = await generateCheckpoint({
      family: "deepseek-v3",
      dir: fp8,
      profile: "tiny",
      shards: 2,
    });
    // An NVFP4 output deeper down, with one single-file checkpoint layout.
    const nvfp4 = join(root, "org", "outputs", "DeepSeek-V3-NVFP4");
    await mkdir(nvfp4, { recursive: true });
    await writeFile(
      join(nvfp4, "config.json"),
      JSON.stringify({ quantization_config: { quant_method: "modelopt" } }),
    );
    await writeFile(join(nvfp4, "model.safetensors"), Buffer.alloc(1000));
    // Not checkpoints: no weights, a hidden folder, a folder below the search depth, a checkpoint's subfolder.
    await mkdir(join(root, "notes"), { recursive: true });
    await writeFile(join(root, "notes", "config.json"), "{}");
    for (const dir of [join(root, ".cache", "m"), join(root, "a", "b", "c", "d"), join(fp8, "inner")]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "config.json"), "{}");
      await writeFile(join(dir, "model.safetensors"), Buffer.alloc(10));
    }

    const found = await findCheckpoints([root]);
    expect(found).toEqual([
      { path: fp8, quantization: "fp8", weightBytes: expect.any(Number) },
      { path: nvfp4, quantization: "modelopt", weightBytes: 1000 },
    ]);
    expect(found[0]?.weightBytes).toBeGreaterThanOrEqual(generated.tensorBytes);
  }, 60_000);

  it("skips roots it cannot read", async () => {
    expect(await findCheckpoints([join(root, "does-not-exist")])).toEqual([]);
  });
});
