/**
 * DeepSeek V3 and V3.2 in the Hugging Face layout (`model.layers.{L}.self_attn...`,
 * `model.layers.{L}.mlp...`, scale companions `<module>.weight_scale_inv`). The MTP layer is
 * `model.layers.{num_hidden_layers}` with its own `enorm`/`hnorm`/`eh_proj`/`shared_head`.
 */
import type { FusedGroupRule, Preset, Rule } from "../types.ts";

const attentionWhy = (quantize: boolean) =>
  quantize
    ? "MLA projection: an FP8 Linear like the MLP ones; quantized by default on V3/V3.2 (quantizeAttention)"
    : "MLA projection kept in FP8 (quantizeAttention is off)";

export function hfDeepseekRules(options: {
  quantizeAttention: boolean;
  quantizeSharedExperts: boolean;
  indexer: boolean;
}): Rule[] {
  const rules: Rule[] = [
    {
      name: "embedding",
      pattern: /(^|\.)embed_tokens\.weight$/,
      category: "embedding",
      action: "preserve",
      why: "token embedding is a lookup table, not a GEMM",
    },
    {
      name: "lm-head",
      pattern: /(^lm_head|\.shared_head\.head)\.weight$/,
      category: "head",
      action: "preserve",
      why: "output head is accuracy-critical (every logit); kept as in the source",
    },
    {
      name: "router",
      pattern: /\.mlp\.gate\.(weight|e_score_correction_bias)$/,
      category: "router",
      action: "preserve",
      why: "MoE router gate and score-correction bias decide routing; small and precision-sensitive",
    },
  ];
  if (options.indexer) {
    rules.push({
      name: "indexer",
      pattern: /\.self_attn\.indexer\./,
      category: "indexer",
      action: "preserve",
      why: "DSA lightning-indexer tensors pick the attended tokens; kept as in the source",
    });
  }
  rules.push(
    {
      name: "norm",
      pattern: /(norm|layernorm)\.(weight|bias)$/,
      category: "norm",
      action: "preserve",
      why: "normalization weights are vectors, not GEMMs",
    },
    {
      name: "mtp-eh-proj",
      pattern: /\.eh_proj\.weight$/,
      category: "mtp",
      action: "preserve",
      why: "MTP input projection (speculative decoding only); small, kept as in the source",
    },
    {
      name: "attention",
      pattern: /\.self_attn\.(q_proj|q_a_proj|q_b_proj|kv_a_proj_with_mqa|kv_b_proj|o_proj)\.weight$/,
      category: "attention",
      action: options.quantizeAttention ? "quantize" : "preserve",
      why: attentionWhy(options.quantizeAttention),
    },
    {
      name: "routed-experts",
      pattern: /\.mlp\.experts\.\d+\.(gate|up|down)_proj\.weight$/,
      category: "routed-expert",
      action: "quantize",
      why: "routed expert GEMM weights hold most of the bytes",
    },
    {
      name: "shared-experts",
      pattern: /\.mlp\.shared_experts\.(gate|up|down)_proj\.weight$/,
      category: "shared-expert",
      action: options.quantizeSharedExperts ? "quantize" : "preserve",
      why: options.quantizeSharedExperts
        ? "shared expert GEMM weights"
        : "shared expert kept FP8: the output layout quantizes routed experts only",
    },
    {
      name: "dense-mlp",
      pattern: /\.mlp\.(gate|up|down)_proj\.weight$/,
      category: "dense-mlp",
      action: "quantize",
      why: "dense MLP GEMM weights of the first_k_dense_replace layers",
    },
  );
  return rules;
}

/** vLLM fuses these (deepseek_v2.py: fused_qkv_a_proj, gate_up_proj in MLP, MoE w13). */
export const HF_DEEPSEEK_FUSED_GROUPS: FusedGroupRule[] = [
  {
    name: "expert-gate-up",
    pattern: /^(.*\.mlp\.experts\.\d+)\.(gate|up)_proj\.weight$/,
    groupKey: "$1.gate_up_proj",
  },
  {
    name: "shared-experts-gate-up",
    pattern: /^(.*\.mlp\.shared_experts)\.(gate|up)_proj\.weight$/,
    groupKey: "$1.gate_up_proj",
  },
  { name: "dense-mlp-gate-up", pattern: /^(.*\.mlp)\.(gate|up)_proj\.weight$/, groupKey: "$1.gate_up_proj" },
  {
    name: "fused-qkv-a",
    pattern: /^(.*\.self_attn)\.(q_a_proj|kv_a_proj_with_mqa)\.weight$/,
    groupKey: "$1.fused_qkv_a_proj",
  },
];

export function deepseekV3Preset(options: Preset["options"]): Preset {
  return {
    id: "deepseek-v3",
    description: "DeepSeek V3 / R1 (HF layout, FP8 block 128x128, weight_scale_inv companions)",
    options,
    rules: hfDeepseekRules({ ...options, indexer: false }),
    fusedGroups: HF_DEEPSEEK_FUSED_GROUPS,
  };
}

export function deepseekV32Preset(options: Preset["options"]): Preset {
  return {
    id: "deepseek-v3.2",
    description: "DeepSeek V3.2 (V3 layout plus the DSA lightning indexer under self_attn.indexer)",
    options,
    rules: hfDeepseekRules({ ...options, indexer: true }),
    fusedGroups: HF_DEEPSEEK_FUSED_GROUPS,
  };
}
