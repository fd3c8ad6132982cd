import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectBlockSize } from "../../src/rules/block-size.ts";
import { detectFamily } from "../../src/rules/detect.ts";
import { DEFAULT_RULE, PresetMatcher } from "../../src/rules/matcher.ts";
import { nvfp4Bytes, type PlanInput, type PlanOptions, planCheckpoint } from "../../src/rules/plan.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import type { Dtype } from "../../src/safetensors/dtypes.ts";
import { tensorByteLength } from "../../src/safetensors/dtypes.ts";
import { CheckpointFormatError } from "../../src/safetensors/errors.ts";
import type { ModelConfig } from "../../src/safetensors/json-files.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";

/** A header-only checkpoint in memory: enough for planning, no files. */
function fakeCheckpoint(tensors: [string, Dtype, number[]][], config?: ModelConfig): PlanInput {
  let offset = 0;
  const map = new Map(
    tensors.map(([name, dtype, shape]) => {
      const begin = offset;
      offset += tensorByteLength(dtype, shape) ?? 0;
      return [name, { name, dtype, shape, begin, end: offset, file: "model.safetensors" }] as const;
    }),
  );
  return { dir: "/fake", tensors: map, config };
}

const V3 = {
  model_type: "deepseek_v3",
  quantization_config: { weight_block_size: [128, 128] as [number, number] },
};
const fp8 = (
  module: string,
  out: number,
  inDim: number,
  naming = "weight_scale_inv",
): [string, Dtype, number[]][] => [
  [`${module}.weight`, "F8_E4M3", [out, inDim]],
  [`${module}.${naming}`, "F32", [Math.ceil(out / 128), Math.ceil(inDim / 128)]],
];

function planError(input: PlanInput, options?: PlanOptions): CheckpointFormatError {
  try {
    planCheckpoint(input, options);
  } catch (error) {
    if (error instanceof CheckpointFormatError) return error;
    throw error;
  }
  throw new Error("expected planCheckpoint to throw");
}

let root: string;
let cleanup: () => Promise<void>;
const fixtures: Record<string, Checkpoint> = {};
beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("plan"));
  for (const [name, family, variant] of [
    ["v3", "deepseek-v3", "fp8"],
    ["v32", "deepseek-v3.2", "fp8"],
    ["v4", "deepseek-v4", "fp8"],
    ["v4-mxfp4", "deepseek-v4", "mxfp4"],
  ] as const) {
    await generateCheckpoint({ family, variant, dir: join(root, name) });
    fixtures[name] = await Checkpoint.open(join(root, name));
  }
});
afterAll(() => cleanup());

const fixture = (name: string) => fixtures[name] as Checkpoint;

describe("detectFamily", () => {
  const hfNames = ["model.layers.0.self_attn.q_a_proj.weight"];
  const v4Names = ["layers.0.attn.wq_a.weight"];

  it("prefers config.json model_type, then architectures, then tensor names", () => {
    expect(detectFamily("/d", { model_type: "deepseek_v32" }, hfNames)).toEqual({
      family: "deepseek-v3.2",
      source: "config.model_type",
    });
    expect(detectFamily("/d", { architectures: ["DeepseekV4ForCausalLM"] }, v4Names).source).toBe(
      "config.architectures",
    );
    expect(detectFamily("/d", undefined, v4Names)).toEqual({ family: "deepseek-v4", source: "tensor-names" });
    expect(detectFamily("/d", undefined, hfNames).family).toBe("deepseek-v3");
    expect(
      detectFamily("/d", undefined, [...hfNames, "model.layers.0.self_attn.indexer.wk.weight"]).family,
    ).toBe("deepseek-v3.2");
    expect(detectFamily("/d", { model_type: "deepseek_v3" }, v4Names, "deepseek-v4").source).toBe("option");
  });

  it("refuses a config whose family does not match the tensor naming", () => {
    expect(() => detectFamily("/d", { model_type: "deepseek_v4" }, hfNames)).toThrow(
      /config\.json: expected tensor names in the DeepSeek layout .* found names in the HF layout/,
    );
  });

  it("refuses checkpoints of other models", () => {
    expect(() => detectFamily("/d", { model_type: "llama" }, ["model.embed_tokens.weight"])).toThrow(
      /a DeepSeek V3, V3.2 or V4 checkpoint/,
    );
  });
});

describe("detectBlockSize", () => {
  it("finds the block that explains the most scale shapes, preferring 128x128 on ties", () => {
    expect(detectBlockSize([{ shape: [7168, 2048], scaleShape: [56, 16] }])).toEqual([128, 128]);
    expect(detectBlockSize([{ shape: [100, 100], scaleShape: [1, 1] }])).toBeUndefined();
    expect(
      detectBlockSize([
        { shape: [512, 512], scaleShape: [8, 8] },
        { shape: [256, 512], scaleShape: [4, 8] },
      ]),
    ).toEqual([64, 64]);
    expect(detectBlockSize([{ shape: [512, 512], scaleShape: [512, 4] }])).toBeUndefined();
  });
});

describe("PresetMatcher", () => {
  it("memoizing by name shape gives the same rule and fused group as matching every name", () => {
    for (const checkpoint of Object.values(fixtures)) {
      const plan = planCheckpoint(checkpoint, { quantizeAttention: true });
      const matcher = new PresetMatcher(plan.preset);
      for (const name of checkpoint.tensors.keys()) {
        const direct = plan.preset.rules.find((r) => r.pattern.test(name)) ?? DEFAULT_RULE;
        const group = plan.preset.fusedGroups.find((g) => g.pattern.test(name));
        expect(matcher.match(name), name).toEqual({
          rule: direct,
          fusedGroup: group === undefined ? undefined : name.replace(group.pattern, group.groupKey),
        });
      }
    }
  });

  it("no preset rule names a specific layer or expert number", () => {
    for (const checkpoint of Object.values(fixtures)) {
      const { preset } = planCheckpoint(checkpoint, { quantizeAttention: true });
      for (const rule of [...preset.rules, ...preset.fusedGroups]) {
        expect(rule.pattern.source, rule.name).not.toMatch(/\\.\d|\.\d/);
      }
    }
  });
});

describe("planCheckpoint on DeepSeek V3", () => {
  it("quantizes FP8 experts, dense MLP and attention, and drops their FP8 scales", () => {
    const plan = planCheckpoint(fixture("v3"));
    const up = plan.byName.get("model.layers.1.mlp.experts.0.up_proj.weight");
    expect(up).toMatchObject({
      action: "quantize",
      rule: "routed-experts",
      category: "routed-expert",
      role: "weight",
      sourceFormat: "fp8-block",
      fusedGroup: "model.layers.1.mlp.experts.0.gate_up_proj",
      scale: {
        name: "model.layers.1.mlp.experts.0.up_proj.weight_scale_inv",
        dtype: "F32",
        shape: [1, 2],
        block: [128, 128],
      },
      projectedBytes: nvfp4Bytes(96, 192),
    });
    expect(plan.byName.get("model.layers.1.mlp.experts.0.up_proj.weight_scale_inv")).toMatchObject({
      action: "drop",
      rule: "scale-of-quantized",
      role: "scale",
      scaleOf: "model.layers.1.mlp.experts.0.up_proj.weight",
      projectedBytes: 0,
    });
    expect(plan.byName.get("model.layers.0.mlp.gate_proj.weight")).toMatchObject({
      action: "quantize",
      rule: "dense-mlp",
    });
    expect(plan.byName.get("model.layers.0.self_attn.q_a_proj.weight")).toMatchObject({
      action: "quantize",
      rule: "attention",
      fusedGroup: "model.layers.0.self_attn.fused_qkv_a_proj",
    });
    expect(plan.fusedGroups.get("model.layers.0.self_attn.fused_qkv_a_proj")).toEqual([
      "model.layers.0.self_attn.q_a_proj.weight",
      "model.layers.0.self_attn.kv_a_proj_with_mqa.weight",
    ]);
  });

  it("preserves embed, lm_head, router, norms and the MTP projection, each with its rule", () => {
    const plan = planCheckpoint(fixture("v3"));
    const decided = (name: string) => [plan.byName.get(name)?.action, plan.byName.get(name)?.rule];
    expect(decided("model.embed_tokens.weight")).toEqual(["preserve", "embedding"]);
    expect(decided("lm_head.weight")).toEqual(["preserve", "lm-head"]);
    expect(decided("model.layers.3.shared_head.head.weight")).toEqual(["preserve", "lm-head"]);
    expect(decided("model.layers.1.mlp.gate.weight")).toEqual(["preserve", "router"]);
    expect(decided("model.layers.1.mlp.gate.e_score_correction_bias")).toEqual(["preserve", "router"]);
    expect(decided("model.layers.1.input_layernorm.weight")).toEqual(["preserve", "norm"]);
    expect(decided("model.layers.3.eh_proj.weight")).toEqual(["preserve", "mtp-eh-proj"]);
    expect(decided("model.layers.3.eh_proj.weight_scale_inv")).toEqual(["preserve", "scale-of-preserved"]);
  });

  it("keeps a weight whose input dim is not a multiple of 16 in FP8", () => {
    const plan = planCheckpoint(fixture("v3"));
    expect(plan.byName.get("model.layers.0.self_attn.kv_b_proj.weight")).toMatchObject({
      shape: [256, 72],
      action: "preserve",
      rule: "in-dim-not-multiple-of-16",
    });
    expect(plan.byName.get("model.layers.0.self_attn.kv_b_proj.weight_scale_inv")?.action).toBe("preserve");
  });

  it("lists every tensor once, in checkpoint order", () => {
    const checkpoint = fixture("v3");
    const plan = planCheckpoint(checkpoint);
    expect(plan.tensors.map((t) => t.name)).toEqual([...checkpoint.tensors.keys()]);
  });

  it("quantizeAttention: false keeps MLA projections", () => {
    const plan = planCheckpoint(fixture("v3"), { quantizeAttention: false });
    expect(plan.preset.options.quantizeAttention).toBe(false);
    expect(plan.byName.get("model.layers.0.self_attn.o_proj.weight")).toMatchObject({
      action: "preserve",
      rule: "attention",
    });
  });

  it("user ignore patterns keep tensors, and fused partners follow", () => {
    const plan = planCheckpoint(fixture("v3"), { ignore: ["experts\\.1\\.gate_proj"] });
    expect(plan.byName.get("model.layers.1.mlp.experts.1.gate_proj.weight")).toMatchObject({
      action: "preserve",
      rule: "ignore:experts\\.1\\.gate_proj",
    });
    const up = plan.byName.get("model.layers.1.mlp.experts.1.up_proj.weight");
    expect(up).toMatchObject({ action: "preserve", rule: "fused-group-consistency" });
    expect(up?.why).toMatch(/fused group model\.layers\.1\.mlp\.experts\.1\.gate_up_proj/);
    expect(plan.byName.get("model.layers.1.mlp.experts.1.up_proj.weight_scale_inv")?.action).toBe("preserve");
    expect(plan.byName.get("model.layers.1.mlp.experts.1.down_proj.weight")?.action).toBe("quantize");
  });
});

describe("planCheckpoint on DeepSeek V3.2", () => {
  it("preserves the indexer, FP8 projections included", () => {
    const plan = planCheckpoint(fixture("v32"));
    expect(plan.family.family).toBe("deepseek-v3.2");
    for (const name of [
      "model.layers.0.self_attn.indexer.wq_b.weight",
      "model.layers.0.self_attn.indexer.wk.weight",
      "model.layers.0.self_attn.indexer.k_norm.weight",
      "model.layers.0.self_attn.indexer.weights_proj.weight",
    ]) {
      expect(plan.byName.get(name), name).toMatchObject({
        action: "preserve",
        rule: "indexer",
        category: "indexer",
      });
    }
    expect(plan.byName.get("model.layers.0.self_attn.indexer.wk.weight_scale_inv")?.action).toBe("preserve");
  });
});

describe("planCheckpoint on DeepSeek V4", () => {
  it("by default quantizes routed and shared experts only", () => {
    const plan = planCheckpoint(fixture("v4"));
    expect(plan.family).toEqual({ family: "deepseek-v4", source: "config.model_type" });
    const quantized = new Set(plan.tensors.filter((t) => t.action === "quantize").map((t) => t.rule));
    expect(quantized).toEqual(new Set(["routed-experts", "shared-experts"]));
    expect(plan.byName.get("layers.0.ffn.experts.3.w3.weight")).toMatchObject({
      action: "quantize",
      fusedGroup: "layers.0.ffn.experts.3.w13",
      scale: { name: "layers.0.ffn.experts.3.w3.scale", dtype: "F32" },
    });
    expect(plan.byName.get("layers.0.ffn.experts.3.w2.weight")?.fusedGroup).toBeUndefined();
    expect(plan.byName.get("layers.0.attn.wq_a.weight")).toMatchObject({
      action: "preserve",
      rule: "attention",
    });
    const preserved = (name: string) => plan.byName.get(name)?.rule;
    expect(preserved("layers.0.hc_attn_fn")).toBe("mhc");
    expect(preserved("hc_head_base")).toBe("mhc");
    expect(preserved("layers.0.ffn.gate.tid2eid")).toBe("router");
    expect(preserved("layers.1.ffn.gate.bias")).toBe("router");
    expect(preserved("layers.1.attn.indexer.wq_b.weight")).toBe("indexer");
    expect(preserved("layers.1.attn.compressor.ape")).toBe("compressor-state");
    expect(preserved("layers.0.attn.attn_sink")).toBe("attention-sink");
    expect(preserved("mtp.0.e_proj.weight")).toBe("mtp-projections");
    expect(preserved("embed.weight")).toBe("embedding");
    expect(preserved("head.weight")).toBe("lm-head");
  });

  it("quantizeAttention opts attention in, but not wo_a, ragged wo_b or BF16 compressors", () => {
    const plan = planCheckpoint(fixture("v4"), { quantizeAttention: true });
    expect(plan.byName.get("layers.0.attn.wq_a.weight")).toMatchObject({
      action: "quantize",
      fusedGroup: "layers.0.attn.fused_wqa_wkv",
    });
    expect(plan.byName.get("layers.0.attn.wkv.weight")?.action).toBe("quantize");
    expect(plan.byName.get("layers.0.attn.wo_a.weight")).toMatchObject({
      action: "preserve",
      rule: "attention-wo-a",
    });
    expect(plan.byName.get("layers.0.attn.wo_b.weight")).toMatchObject({
      shape: [192, 72],
      action: "preserve",
      rule: "in-dim-not-multiple-of-16",
    });
    expect(plan.byName.get("layers.1.attn.compressor.wkv.weight")).toMatchObject({
      action: "preserve",
      rule: "not-fp8",
      fusedGroup: "layers.1.attn.compressor.fused_wkv_wgate",
    });
  });

  it("re-expresses MXFP4 experts as NVFP4, never reading them as FP8", () => {
    const plan = planCheckpoint(fixture("v4-mxfp4"));
    expect(plan.byName.get("layers.0.ffn.experts.0.w1.weight")).toMatchObject({
      dtype: "I8",
      shape: [96, 96],
      sourceFormat: "mxfp4",
      action: "quantize",
      rule: "routed-experts",
      fusedGroup: "layers.0.ffn.experts.0.w13",
      scale: { name: "layers.0.ffn.experts.0.w1.scale", dtype: "F8_E8M0", shape: [96, 6], block: [1, 32] },
      // [96, 192] elements as NVFP4: packed codes, E4M3 per 16, global scale.
      projectedBytes: 96 * 96 + 96 * 12 + 4,
    });
    expect(plan.byName.get("layers.0.ffn.experts.0.w1.weight")?.why).toMatch(/E2M1 codes kept/);
    expect(plan.byName.get("layers.0.ffn.experts.0.w1.scale")).toMatchObject({
      action: "drop",
      why: expect.stringMatching(/^E8M0 MXFP4 scale of/),
    });
    expect(plan.byName.get("layers.0.ffn.shared_experts.w1.weight")).toMatchObject({
      action: "quantize",
      scale: { dtype: "F8_E8M0", block: [128, 128] },
    });
  });

  it("keeps MXFP4 experts an ignore pattern names, and fused groups that mix MXFP4 and FP8", () => {
    const ignored = planCheckpoint(fixture("v4-mxfp4"), { ignore: ["experts\\.0\\."] });
    expect(ignored.byName.get("layers.0.ffn.experts.0.w3.weight")).toMatchObject({
      action: "preserve",
      rule: "ignore:experts\\.0\\.",
    });
    expect(ignored.byName.get("layers.0.ffn.experts.0.w3.scale")?.action).toBe("preserve");
    expect(ignored.byName.get("layers.0.ffn.experts.1.w3.weight")?.action).toBe("quantize");

    const mixed = planCheckpoint(
      fakeCheckpoint([
        ["layers.0.attn.wq_a.weight", "F8_E4M3", [128, 128]],
        ["layers.0.attn.wq_a.scale", "F32", [1, 1]],
        ["layers.0.ffn.experts.0.w1.weight", "U8", [64, 64]],
        ["layers.0.ffn.experts.0.w1.scale", "F8_E8M0", [64, 4]],
        ["layers.0.ffn.experts.0.w3.weight", "F8_E4M3", [64, 128]],
        ["layers.0.ffn.experts.0.w3.scale", "F32", [1, 1]],
      ]),
    );
    for (const name of ["layers.0.ffn.experts.0.w1.weight", "layers.0.ffn.experts.0.w3.weight"]) {
      expect(mixed.byName.get(name)).toMatchObject({
        action: "preserve",
        rule: "fused-group-consistency",
        why: expect.stringMatching(/mixes (mxfp4 and fp8-block|fp8-block and mxfp4) sources/),
      });
    }
  });
});

describe("planCheckpoint: scale validation", () => {
  it("accepts a per-tensor scale and reports it as a disagreement", () => {
    const plan = planCheckpoint(
      fakeCheckpoint(
        [
          ...fp8("model.layers.0.mlp.gate_proj", 256, 256),
          ["model.layers.0.mlp.up_proj.weight", "F8_E4M3", [256, 256]],
          ["model.layers.0.mlp.up_proj.weight_scale_inv", "F32", [1, 1]],
        ],
        V3,
      ),
    );
    expect(plan.fp8Block.perTensorScaled).toEqual(["model.layers.0.mlp.up_proj.weight"]);
    expect(plan.byName.get("model.layers.0.mlp.up_proj.weight")?.scale?.block).toEqual([256, 256]);
  });

  it("detects the block from shapes when config.json has none", () => {
    const plan = planCheckpoint(
      fakeCheckpoint([
        ["model.layers.0.mlp.down_proj.weight", "F8_E4M3", [512, 256]],
        ["model.layers.0.mlp.down_proj.weight_scale_inv", "F32", [8, 4]],
      ]),
    );
    expect(plan.fp8Block).toMatchObject({ configured: undefined, detected: [64, 64], used: [64, 64] });
  });

  it("refuses scales that disagree with the configured block", () => {
    const error = planError(
      fakeCheckpoint(
        [
          ["model.layers.0.mlp.down_proj.weight", "F8_E4M3", [512, 256]],
          ["model.layers.0.mlp.down_proj.weight_scale_inv", "F32", [8, 4]],
        ],
        V3,
      ),
    );
    expect(error).toMatchObject({
      file: join("/fake", "model.safetensors"),
      tensor: "model.layers.0.mlp.down_proj.weight_scale_inv",
    });
    expect(error.expected).toMatch(/shape \[4,2\] .* 128x128 blocks \(from config\.json weight_block_size\)/);
  });

  it("refuses unsupported scale dtypes, orphan and duplicate scales, and non-2-D FP8 weights", () => {
    expect(
      planError(
        fakeCheckpoint(
          [
            ...fp8("model.layers.0.mlp.up_proj", 128, 128).slice(0, 1),
            ["model.layers.0.mlp.up_proj.weight_scale_inv", "BF16", [1, 1]],
          ],
          V3,
        ),
      ).expected,
    ).toMatch(/F32 or F8_E8M0/);
    expect(
      planError(fakeCheckpoint([["model.layers.0.mlp.up_proj.weight_scale_inv", "F32", [1, 1]]], V3)).found,
    ).toBe("a scale without a weight");
    expect(
      planError(
        fakeCheckpoint(
          [
            ...fp8("model.layers.0.mlp.up_proj", 128, 128),
            ["model.layers.0.mlp.up_proj.scale", "F32", [1, 1]],
          ],
          V3,
        ),
      ).expected,
    ).toBe("one scale companion");
    expect(
      planError(
        fakeCheckpoint(
          [
            ["model.layers.0.mlp.up_proj.weight", "F8_E4M3", [2, 128, 128]],
            ["model.layers.0.mlp.up_proj.weight_scale_inv", "F32", [1, 1]],
          ],
          V3,
        ),
      ).expected,
    ).toMatch(/2-D/);
  });

  it("refuses packed FP4 weights whose E8M0 scale has the wrong shape", () => {
    const error = planError(
      fakeCheckpoint(
        [
          ["layers.0.ffn.experts.0.w1.weight", "I8", [96, 96]],
          ["layers.0.ffn.experts.0.w1.scale", "F8_E8M0", [96, 3]],
        ],
        { model_type: "deepseek_v4" },
      ),
    );
    expect(error.tensor).toBe("layers.0.ffn.experts.0.w1.scale");
    expect(error.expected).toMatch(/MXFP4 scale of shape \[96,6\]/);
  });

  it("treats a `.scale` without a weight as an ordinary tensor", () => {
    const plan = planCheckpoint(
      fakeCheckpoint(
        [...fp8("layers.0.attn.wq_a", 128, 128, "scale"), ["layers.0.attn.norm_like.scale", "F32", [4]]],
        {
          model_type: "deepseek_v4",
        },
      ),
    );
    expect(plan.byName.get("layers.0.attn.norm_like.scale")).toMatchObject({
      role: "tensor",
      rule: "default-preserve",
    });
  });
});
