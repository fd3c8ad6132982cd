import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2M1_TO_FLOAT, E4M3_TO_FLOAT, e8m0ToFloat } from "../../src/codecs/index.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { tensorByteLength } from "../../src/safetensors/dtypes.ts";
import { compressRatios } from "../../src/synthetic/dims.ts";
import { generateCheckpoint, resolveDims, syntheticTensors } from "../../src/synthetic/generate.ts";
import { Prng, seedFor } from "../../src/synthetic/prng.ts";
import { tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir("synth")));
afterAll(() => cleanup());

async function digestDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of (await readdir(dir)).sort()) {
    out[file] = createHash("sha256")
      .update(await readFile(join(dir, file)))
      .digest("hex");
  }
  return out;
}

describe("Prng", () => {
  it("is deterministic per seed and spreads nearby seeds", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const c = new Prng(8);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xs);
    expect(seedFor(1, "a")).not.toBe(seedFor(1, "b"));
  });

  it("draws standard normals", () => {
    const rng = new Prng(1);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const g = rng.nextGaussian();
      sum += g;
      sq += g * g;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.sqrt(sq / n)).toBeCloseTo(1, 1);
  });
});

describe("generateCheckpoint", () => {
  it("is byte-for-byte deterministic for a seed, and the seed matters", async () => {
    await generateCheckpoint({ family: "deepseek-v3.2", dir: join(root, "a"), seed: 5 });
    await generateCheckpoint({ family: "deepseek-v3.2", dir: join(root, "b"), seed: 5 });
    await generateCheckpoint({ family: "deepseek-v3.2", dir: join(root, "c"), seed: 6 });
    const a = await digestDir(join(root, "a"));
    expect(await digestDir(join(root, "b"))).toEqual(a);
    const c = await digestDir(join(root, "c"));
    expect(c["config.json"]).toBe(a["config.json"]);
    expect(c["model-00001-of-00003.safetensors"]).not.toBe(a["model-00001-of-00003.safetensors"]);
  });

  it("writes config, generation config, tokenizer and an index that matches the shards", async () => {
    const dir = join(root, "files");
    const generated = await generateCheckpoint({ family: "deepseek-v4", dir, shards: 5 });
    expect(generated.shards).toHaveLength(5);
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    expect(config).toMatchObject({
      model_type: "deepseek_v4",
      architectures: ["DeepseekV4ForCausalLM"],
      expert_dtype: "fp8",
      compress_ratios: compressRatios(3),
      quantization_config: {
        quant_method: "fp8",
        fmt: "e4m3",
        activation_scheme: "dynamic",
        weight_block_size: [128, 128],
      },
    });
    const tokenizer = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
    expect(Object.keys(tokenizer.model.vocab)).toHaveLength(258);
    expect(JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8")).bos_token).toBe(
      tokenizer.added_tokens[0].content,
    );
    expect(JSON.parse(await readFile(join(dir, "generation_config.json"), "utf8")).eos_token_id).toBe(1);

    const checkpoint = await Checkpoint.open(dir); // cross-checks the index against every shard
    expect(checkpoint.tensors.size).toBe(generated.tensorCount);
    expect(checkpoint.index?.metadata?.total_size).toBe(generated.tensorBytes);
  });

  it("writes FP8 weights whose dequantized values look like trained weights", async () => {
    const dir = join(root, "values");
    await generateCheckpoint({ family: "deepseek-v3", dir });
    const checkpoint = await Checkpoint.open(dir);
    const name = "model.layers.0.mlp.down_proj";
    const weight = await checkpoint.readTensor(`${name}.weight`); // [192, 400]
    const scaleBytes = await checkpoint.readTensor(`${name}.weight_scale_inv`); // [2, 4]
    const scale = new Float32Array(scaleBytes.buffer, scaleBytes.byteOffset, 8);
    let sq = 0;
    let maxCode = 0;
    let nans = 0;
    for (let r = 0; r < 192; r++) {
      for (let c = 0; c < 400; c++) {
        const code = E4M3_TO_FLOAT[weight[r * 400 + c] as number] as number;
        if (Number.isNaN(code)) nans += 1;
        maxCode = Math.max(maxCode, Math.abs(code));
        const v = code * (scale[Math.floor(r / 128) * 4 + Math.floor(c / 128)] as number);
        sq += v * v;
      }
    }
    const std = Math.sqrt(sq / (192 * 400));
    expect(nans).toBe(0);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04);
    expect(maxCode).toBeGreaterThan(300); // block amax lands near the E4M3 maximum 448
  });

  it("writes the original V4 layout with MXFP4 experts and E8M0 scales", async () => {
    const dir = join(root, "mxfp4");
    const generated = await generateCheckpoint({ family: "deepseek-v4", variant: "mxfp4", dir });
    const checkpoint = await Checkpoint.open(dir);
    expect(checkpoint.config?.expert_dtype).toBe("fp4");
    expect(checkpoint.tensor("layers.0.ffn.experts.0.w2.weight")).toMatchObject({
      dtype: "I8",
      shape: [192, 48],
    });
    expect(checkpoint.tensor("layers.0.ffn.experts.0.w2.scale")).toMatchObject({
      dtype: "F8_E8M0",
      shape: [192, 3],
    });
    expect(checkpoint.tensor("layers.0.attn.wq_a.scale")?.dtype).toBe("F8_E8M0");
    const packed = await checkpoint.readTensor("layers.0.ffn.experts.0.w2.weight");
    const scales = await checkpoint.readTensor("layers.0.ffn.experts.0.w2.scale");
    let sq = 0;
    for (let i = 0; i < packed.length; i++) {
      const s = e8m0ToFloat(scales[Math.floor((i * 2) / 32)] as number);
      const byte = packed[i] as number;
      sq +=
        ((E2M1_TO_FLOAT[byte & 0xf] as number) * s) ** 2 + ((E2M1_TO_FLOAT[byte >> 4] as number) * s) ** 2;
    }
    const std = Math.sqrt(sq / (packed.length * 2));
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04);
    await expect(
      generateCheckpoint({ family: "deepseek-v3", variant: "mxfp4", dir: join(root, "x") }),
    ).rejects.toThrow(/only for deepseek-v4/);
    expect(generated.variant).toBe("mxfp4");
  });

  it("includes ragged dims and a projection whose input dim is not a multiple of 16", () => {
    const specs = syntheticTensors("deepseek-v3", resolveDims({ family: "deepseek-v3", dir: "" }), "fp8");
    const fp8 = specs.filter((s) => s.dtype === "F8_E4M3");
    expect(fp8.some((s) => (s.shape[0] as number) % 128 !== 0)).toBe(true);
    expect(fp8.some((s) => (s.shape[1] as number) % 128 !== 0)).toBe(true);
    expect(fp8.filter((s) => (s.shape[1] as number) % 16 !== 0).map((s) => s.name)).toContain(
      "model.layers.0.self_attn.kv_b_proj.weight",
    );
  });
});

describe("size knob", () => {
  const bytesFor = (family: "deepseek-v3" | "deepseek-v4", targetBytes: number) => {
    const dims = resolveDims({ family, dir: "", targetBytes });
    const total = syntheticTensors(family, dims, "fp8").reduce(
      (sum, s) => sum + (tensorByteLength(s.dtype, s.shape) ?? 0),
      0,
    );
    return { dims, total };
  };

  it.each([
    ["deepseek-v3", 2e9],
    ["deepseek-v4", 5e9],
    ["deepseek-v4", 80e9],
  ] as const)("%s scaled to %d bytes lands within 15%%", (family, target) => {
    const { dims, total } = bytesFor(family, target);
    expect(Math.abs(total - target) / target).toBeLessThan(0.15);
    expect(dims.hidden).toBe(2112);
  });

  it("grows experts once layers reach their cap", () => {
    expect(bytesFor("deepseek-v4", 80e9).dims).toMatchObject({ layers: 64 });
    expect(bytesFor("deepseek-v4", 80e9).dims.routedExperts).toBeGreaterThan(16);
  });
});
