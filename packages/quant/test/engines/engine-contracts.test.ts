/**
 * Engine contracts, for every family × engine × format an engine loads: a synthetic checkpoint
 * (real layouts, dimensions scaled down and ragged: 192-wide hidden size, partial 128×128 scale
 * blocks, an input dimension that is not a multiple of 16; V4 both in FP8 and as released, with
 * MXFP4 experts) is converted, and the output is checked
 * the way the engine loads it: every module the engine asks about resolves, with the engine's own
 * rules (re-implemented from its source, src/engines), to the scheme the output stores; every
 * Linear holds exactly the tensors the scheme registers; the configs satisfy the formats' schemas.
 */
import { join } from "node:path";
import type { Engine, OutputFormat } from "@fp4kit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { checkEngineContract } from "../../src/engines/check.ts";
import {
  CompressedTensorsConfigSchema,
  DeepseekV4MixedConfigSchema,
  HfQuantConfigSchema,
  ModelOptConfigSchema,
  QuantCfgSchema,
} from "../../src/engines/config-schemas.ts";
import { ENGINE_CONTRACTS } from "../../src/engines/contracts.ts";
import type { ModelFamily } from "../../src/rules/types.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import type { V4Variant } from "../../src/synthetic/layout-v4.ts";
import { tempDir } from "../helpers.ts";
import { type ReadOutput, readOutput } from "./helpers.ts";

/** The synthetic sources: each family in FP8, and V4 also as released (MXFP4 experts). */
const SOURCES: [ModelFamily, V4Variant][] = [
  ["deepseek-v3", "fp8"],
  ["deepseek-v3.2", "fp8"],
  ["deepseek-v4", "fp8"],
  ["deepseek-v4", "mxfp4"],
];

interface Case {
  engine: Engine;
  family: ModelFamily;
  variant: V4Variant;
  format: OutputFormat;
}

const CASES: Case[] = SOURCES.flatMap(([family, variant]) =>
  ENGINE_CONTRACTS.filter((c) => c.family === family).flatMap((c) =>
    (Object.keys(c.formats) as OutputFormat[]).map((format) => ({
      engine: c.engine,
      family,
      variant,
      format,
    })),
  ),
);

let root: string;
let cleanup: () => Promise<void>;
const sources = new Map<string, string>();
const outputs = new Map<string, ReadOutput>();
const sourceKey = (family: ModelFamily, variant: V4Variant) => `${family}-${variant}`;
const key = (c: Case) => `${c.engine}/${sourceKey(c.family, c.variant)}/${c.format}`;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("engine-contracts"));
  for (const [family, variant] of SOURCES) {
    const src = join(root, sourceKey(family, variant));
    await generateCheckpoint({ family, variant, dir: src, shards: 2 });
    sources.set(sourceKey(family, variant), src);
  }
  for (const c of CASES) {
    const src = sources.get(sourceKey(c.family, c.variant)) as string;
    const dst = join(root, key(c).replaceAll("/", "-"));
    await convertCheckpoint({
      src,
      dst,
      engine: c.engine,
      format: c.format,
      ...(c.format === "compressed-tensors" ? {} : { inputScale: 0.25 }),
    });
    outputs.set(key(c), await readOutput(src, dst, c.engine, c.family, c.format));
  }
}, 300_000);
afterAll(() => cleanup());

function output(c: Case): ReadOutput {
  return outputs.get(key(c)) as ReadOutput;
}

describe.each(CASES)("$engine loads $family ($variant) as $format", (c) => {
  it("resolves every module the engine asks about to the stored scheme, with exactly the tensors it registers", () => {
    const report = checkEngineContract(output(c).input);
    expect(report.problems).toEqual([]);
    expect(report.modules.length).toBeGreaterThan(0);
    const schemes = new Set(
      report.modules.map((m) => ("scheme" in m.resolution ? m.resolution.scheme : "error")),
    );
    expect(schemes.has("nvfp4")).toBe(true);
  });

  it("writes configs that satisfy the format's schemas", () => {
    const o = output(c);
    const qc = o.config.quantization_config;
    if (c.format !== "modelopt") {
      CompressedTensorsConfigSchema.parse(qc);
      expect(o.hfQuantConfig).toBeUndefined();
    } else if (c.family === "deepseek-v4") {
      DeepseekV4MixedConfigSchema.parse(qc);
      const hf = HfQuantConfigSchema.parse(o.hfQuantConfig);
      expect(hf.quantization.quant_algo).toBe("MIXED_PRECISION");
      const cfg = QuantCfgSchema.parse(o.quantCfg);
      expect(cfg.quantized_layers).toEqual(hf.quantization.quantized_layers);
    } else {
      ModelOptConfigSchema.parse(qc);
      expect(HfQuantConfigSchema.parse(o.hfQuantConfig).quantization.quant_algo).toBe("NVFP4");
    }
  });
});

describe("vLLM on the default DeepSeek V4 conversion", () => {
  const c: Case = { engine: "vllm", family: "deepseek-v4", variant: "fp8", format: "compressed-tensors" };

  it("resolves the FusedMoE lookups model.layers.L.ffn.experts.0.{gate,up,down}_proj to the NVFP4 group", () => {
    const report = checkEngineContract(output(c).input);
    const experts = report.modules.filter((m) =>
      /\.ffn\.experts\.0\.(gate|up|down)_proj$/.test(m.module.name),
    );
    // 3 layers + 1 MTP layer, three projections each.
    expect(experts.map((m) => m.module.name).sort()).toEqual(
      [0, 1, 2, 3].flatMap((l) =>
        ["down", "gate", "up"].map((p) => `model.layers.${l}.ffn.experts.0.${p}_proj`),
      ),
    );
    for (const m of experts) expect(m.resolution).toMatchObject({ scheme: "nvfp4" });
  });

  it("asks about the fused attention and shared-expert Linears by their fused names, and MTP e_proj/h_proj without a name", () => {
    const names = checkEngineContract(output(c).input).modules.map((m) => m.module.name);
    expect(names).toContain("model.layers.0.attn.fused_wqa_wkv");
    expect(names).toContain("model.layers.3.ffn.shared_experts.gate_up_proj");
    expect(names).toContain("");
    expect(names.some((n) => n.includes("compressor") || n.includes("weights_proj"))).toBe(false);
  });

  it("keeps the source's scale_fmt, which vLLM's V4 attention reads from quantization_config", () => {
    expect(output(c).config.quantization_config).toMatchObject({ scale_fmt: "ue8m0" });
  });

  it("says expert_dtype fp8 whether the source's experts were FP8 or MXFP4, with the same quantization_config", () => {
    for (const format of ["compressed-tensors", "compressed-tensors-w4a4"] as const) {
      const [fromFp8, fromMxfp4] = (["fp8", "mxfp4"] as const).map(
        (variant) => output({ engine: "vllm", family: "deepseek-v4", variant, format }).config,
      );
      // vLLM then renames no expert `.scale` to MXFP4's weight_scale (none is left) and refuses
      // the MXFP4-only MegaMoE backend before loading.
      expect(fromFp8?.expert_dtype).toBe("fp8");
      expect(fromMxfp4?.expert_dtype).toBe("fp8");
      expect(fromMxfp4?.quantization_config).toEqual(fromFp8?.quantization_config);
      const tensors = output({ engine: "vllm", family: "deepseek-v4", variant: "mxfp4", format }).tensors;
      expect([...tensors.keys()].filter((n) => n.endsWith(".scale"))).toEqual([]);
    }
  });

  it("catches a config in the checkpoint's names only: vLLM finds no target for its expert lookups", () => {
    const o = output(c);
    const qc = structuredClone(o.config.quantization_config) as {
      config_groups: Record<string, { targets: string[] }>;
      ignore: string[];
    };
    for (const group of Object.values(qc.config_groups))
      group.targets = group.targets.filter((t) => !t.includes("model\\.layers") && t !== "");
    const report = checkEngineContract({
      ...o.input,
      files: { ...o.input.files, config: { ...o.config, quantization_config: qc } },
    });
    expect(report.problems).toContain(
      'model.layers.0.ffn.experts.0.gate_proj: Unable to find matching target for "model.layers.0.ffn.experts.0.gate_proj" in the compressed-tensors config',
    );
  });

  it("catches a leftover tensor the scheme has no parameter for", () => {
    const o = output(c);
    const tensors = new Map(o.tensors);
    tensors.set("layers.0.ffn.experts.0.w1.scale", { dtype: "F32", shape: [1, 2] });
    const report = checkEngineContract({ ...o.input, tensors });
    expect(report.problems).toEqual([
      "layers.0.ffn.experts.0.w1.scale: left over, nvfp4 registers no such parameter",
    ]);
  });
});

describe("combinations no engine loads", () => {
  it("refuses NVFP4 attention on DeepSeek V4 with the reason, and writes it with a warning when forced", async () => {
    const src = sources.get(sourceKey("deepseek-v4", "fp8")) as string;
    await expect(
      convertCheckpoint({ src, dst: join(root, "v4-attn"), quantizeAttention: true }),
    ).rejects.toMatchObject({ code: "ENGINE_UNSUPPORTED", message: expect.stringContaining("wo_a") });
    const forced = await convertCheckpoint({
      src,
      dst: join(root, "v4-attn-forced"),
      quantizeAttention: true,
      force: true,
    });
    expect(forced.warnings[0]).toMatch(
      /^written although vLLM will not load it: DeepSeek V4 attention must stay FP8/,
    );
    const o = await readOutput(
      src,
      join(root, "v4-attn-forced"),
      "vllm",
      "deepseek-v4",
      "compressed-tensors",
    );
    expect(checkEngineContract(o.input).problems).toContain(
      "model.layers.0.attn.fused_wqa_wkv: nvfp4 is not loadable here: DeepSeek V4 attention stays FP8: NVIDIA's V4 export excludes *.attn.* and no engine read here runs V4 attention in NVFP4",
    );
  });

  it("refuses compressed-tensors for TensorRT-LLM and SGLang before reading anything", async () => {
    for (const engine of ["trtllm", "sglang"] as const) {
      await expect(
        convertCheckpoint({
          src: sources.get(sourceKey("deepseek-v3", "fp8")) as string,
          dst: join(root, `x-${engine}`),
          engine,
          format: "compressed-tensors",
        }),
      ).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
        message: expect.stringContaining("use the modelopt format"),
      });
    }
  });
});
