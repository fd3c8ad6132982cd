/**
 * Our output for the architecture of a published NVFP4 checkpoint has the same tensor names and
 * dtypes and an equivalent config (facts in reference-checkpoints.ts).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { ctEntryMatches } from "../../src/engines/resolvers.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";
import { readJson } from "./helpers.ts";
import { NVIDIA_V4_NVFP4, REDHAT_V4_NVFP4_FP8 } from "./reference-checkpoints.ts";

let root: string;
let cleanup: () => Promise<void>;
let src: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("reference-checkpoints"));
  src = join(root, "v4");
  await generateCheckpoint({ family: "deepseek-v4", dir: src, shards: 2 });
}, 120_000);
afterAll(() => cleanup());

describe("nvidia/DeepSeek-V4-Flash-NVFP4 (ModelOpt's V4 export)", () => {
  for (const engine of ["sglang", "trtllm", "vllm"] as const) {
    it(`${engine}: same tensors as the export makes from the same source, same config`, async () => {
      const dst = join(root, `nvidia-${engine}`);
      const result = await convertCheckpoint({ src, dst, engine, format: "modelopt", inputScale: 0.5 });
      // The FP8 source's scales are F32; with expert_dtype "fp4" vLLM reads them as UE8M0.
      expect(result.warnings).toContainEqual(expect.stringMatching(/F32 block scales .* UE8M0/));
      const source = await Checkpoint.open(src);
      const output = await Checkpoint.open(dst);

      // What the export writes, tensor by tensor, from the source's headers.
      const expected = new Map<string, { dtype: string; shape: readonly number[] }>();
      for (const t of source.tensors.values()) {
        if (NVIDIA_V4_NVFP4.expertWeight.test(t.name)) {
          const p = t.name.slice(0, -".weight".length);
          const [rows = 0, cols = 0] = t.shape;
          for (const e of NVIDIA_V4_NVFP4.expertTensors(p, rows, cols))
            expected.set(e.name, { dtype: e.dtype, shape: e.shape });
        } else if (!isExpertScale(t.name)) {
          expected.set(t.name, { dtype: t.dtype, shape: t.shape });
        }
      }
      const actual = new Map(
        [...output.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape }]),
      );
      expect(sorted(actual)).toEqual(sorted(expected));

      const config = (await readJson(join(dst, "config.json"))) as Record<string, Record<string, unknown>>;
      const sourceConfig = (await readJson(join(src, "config.json"))) as Record<
        string,
        Record<string, unknown>
      >;
      expect(config.quantization_config).toEqual({
        ...sourceConfig.quantization_config,
        ...NVIDIA_V4_NVFP4.quantizationConfig,
      });

      const hf = (await readJson(join(dst, "hf_quant_config.json"))) as {
        producer: { name: string };
        quantization: Record<string, unknown>;
      };
      const ref = NVIDIA_V4_NVFP4.hfQuantConfig;
      expect(hf.producer.name).toBe(ref.producerName);
      expect(hf.quantization).toMatchObject({
        quant_algo: ref.quant_algo,
        kv_cache_quant_algo: ref.kv_cache_quant_algo,
        group_size: ref.group_size,
        exclude_modules: ref.exclude_modules,
      });
      const experts = [...source.tensors.keys()]
        .filter((n) => NVIDIA_V4_NVFP4.expertWeight.test(n))
        .map((n) => n.slice(0, -".weight".length))
        .sort();
      expect(hf.quantization.quantized_layers).toEqual(
        Object.fromEntries(experts.map((m) => [m, ref.quantizedLayer])),
      );
    });
  }
});

describe("RedHatAI/DeepSeek-V4-Flash-NVFP4-FP8 (scheme facts only)", () => {
  it("vLLM W4A4 output: NVFP4 group-16 routed experts, FP8 block 128x128 attention, MTP kept", async () => {
    const dst = join(root, "redhat");
    await convertCheckpoint({ src, dst, format: "compressed-tensors-w4a4", inputScale: 0.5 });
    const qc = ((await readJson(join(dst, "config.json"))) as Record<string, Record<string, unknown>>)
      .quantization_config as {
      quant_method: string;
      config_groups: Record<string, Record<string, unknown>>;
    };
    expect(qc.quant_method).toBe(REDHAT_V4_NVFP4_FP8.quant_method);
    const groups = Object.values(qc.config_groups);
    const matches = (group: Record<string, unknown>, module: string) =>
      (group.targets as string[]).some((t) => ctEntryMatches(t, module));
    const expertGroup = groups.find((g) => matches(g, "model.layers.2.ffn.experts.0.gate_proj"));
    expect(expertGroup?.weights).toMatchObject(REDHAT_V4_NVFP4_FP8.expertWeights);
    expect(expertGroup?.input_activations).toMatchObject({
      num_bits: 4,
      type: "float",
      strategy: "tensor_group",
    });
    const attentionGroup = groups.find((g) => matches(g, "model.layers.2.attn.wq_b"));
    expect(attentionGroup?.weights).toMatchObject(REDHAT_V4_NVFP4_FP8.attentionWeights);
    const output = await Checkpoint.open(dst);
    expect([...output.tensors.keys()].some((n) => n.startsWith("mtp.0.ffn.experts."))).toBe(true);
  });
});

function isExpertScale(name: string): boolean {
  return /\.ffn\.experts\.\d+\.w[123]\.scale$/.test(name);
}

function sorted<T>(map: Map<string, T>): [string, T][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1));
}
