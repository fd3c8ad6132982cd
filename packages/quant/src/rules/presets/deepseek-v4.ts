/**
 * DeepSeek V4 in DeepSeek's own layout (`layers.{L}.attn...`, `layers.{L}.ffn...`, `mtp.{i}...`,
 * scale companions `<module>.scale`), as vLLM's vllm/model_executor/models/deepseek_v4.py,
 * deepseek_v4_mtp.py and layers/deepseek_v4_attention.py, deepseek_compressor.py read it.
 *
 * Default: NVFP4 for routed and shared experts only; attention, compressor, indexer, router,
 * norms, mHC, embed/head stay as they are (llm-compressor's V4 FP8+NVFP4 recipe does the same).
 */
import type { FusedGroupRule, Preset, Rule } from "../types.ts";

export function deepseekV4Rules(options: {
  quantizeAttention: boolean;
  quantizeSharedExperts: boolean;
}): Rule[] {
  const attention = options.quantizeAttention ? "quantize" : "preserve";
  return [
    {
      name: "embedding",
      pattern: /(^embed|^mtp\.\d+\.emb\.tok_emb)\.weight$/,
      category: "embedding",
      action: "preserve",
      why: "token embedding is a lookup table, not a GEMM",
    },
    {
      name: "lm-head",
      pattern: /(^|^mtp\.\d+\.)head\.weight$/,
      category: "head",
      action: "preserve",
      why: "output head is accuracy-critical (every logit); kept as in the source",
    },
    {
      name: "mhc",
      pattern: /(^|\.)hc_(attn|ffn|head)_(fn|base|scale)$/,
      category: "mhc",
      action: "preserve",
      why: "manifold hyper-connection (mHC) mixing tensors are float32 and run in custom kernels",
    },
    {
      name: "router",
      pattern: /\.ffn\.gate\.(weight|bias|tid2eid)$/,
      category: "router",
      action: "preserve",
      why: "MoE router gate, score-correction bias and hash-routing table decide routing",
    },
    {
      name: "indexer",
      pattern: /\.attn\.indexer\./,
      category: "indexer",
      action: "preserve",
      why: "sparse-attention indexer tensors (C4A layers) pick the attended tokens; kept as in the source",
    },
    {
      name: "norm",
      pattern: /norm\.(weight|bias)$/,
      category: "norm",
      action: "preserve",
      why: "normalization weights are vectors, not GEMMs",
    },
    {
      name: "compressor",
      pattern: /\.attn\.compressor\.(wkv|wgate)\.weight$/,
      category: "compressor",
      action: attention,
      why: options.quantizeAttention
        ? "KV compressor projection; opted in with quantizeAttention (vLLM runs it as a plain BF16 mm, so only FP8 sources are affected)"
        : "KV compressor projection; vLLM runs fused_wkv_wgate as an unquantized mm",
    },
    {
      name: "compressor-state",
      pattern: /\.attn\.compressor\./,
      category: "compressor",
      action: "preserve",
      why: "compressor position bias (ape) and other non-GEMM tensors",
    },
    {
      name: "attention-sink",
      pattern: /\.attn\.attn_sink$/,
      category: "attention",
      action: "preserve",
      why: "per-head float32 attention sink logits",
    },
    {
      name: "attention-wo-a",
      pattern: /\.attn\.wo_a\.weight$/,
      category: "attention",
      action: "preserve",
      why: "vLLM runs wo_a as a grouped FP8 einsum on weight + weight_scale_inv (deepseek_v4_fp8_einsum); no NVFP4 kernel, so it stays FP8 even with quantizeAttention",
    },
    {
      name: "attention",
      pattern: /\.attn\.(wq_a|wkv|wq_b|wo_b)\.weight$/,
      category: "attention",
      action: attention,
      why: options.quantizeAttention
        ? "attention projection; opted in with quantizeAttention"
        : "attention projection kept in FP8 block (default for V4; set quantizeAttention to opt in)",
    },
    {
      name: "routed-experts",
      pattern: /\.ffn\.experts\.\d+\.w[123]\.weight$/,
      category: "routed-expert",
      action: "quantize",
      why: "routed expert GEMM weights hold most of the bytes",
    },
    {
      name: "shared-experts",
      pattern: /\.ffn\.shared_experts\.w[123]\.weight$/,
      category: "shared-expert",
      action: options.quantizeSharedExperts ? "quantize" : "preserve",
      why: options.quantizeSharedExperts
        ? "shared expert GEMM weights"
        : "shared expert kept FP8: the output layout quantizes routed experts only (NVIDIA's V4 layout)",
    },
    {
      name: "mtp-projections",
      pattern: /^mtp\.\d+\.(e_proj|h_proj)\.weight$/,
      category: "mtp",
      action: "preserve",
      why: "MTP input projections (speculative decoding only); small, kept as in the source",
    },
  ];
}

/** vLLM's stacked_params_mapping in deepseek_v4.py plus the MoE w13 merge. */
export const DEEPSEEK_V4_FUSED_GROUPS: FusedGroupRule[] = [
  { name: "expert-w1-w3", pattern: /^(.*\.ffn\.experts\.\d+)\.w[13]\.weight$/, groupKey: "$1.w13" },
  {
    name: "shared-experts-w1-w3",
    pattern: /^(.*\.ffn\.shared_experts)\.w[13]\.weight$/,
    groupKey: "$1.gate_up_proj",
  },
  { name: "fused-wqa-wkv", pattern: /^(.*\.attn)\.(wq_a|wkv)\.weight$/, groupKey: "$1.fused_wqa_wkv" },
  {
    name: "compressor-wkv-wgate",
    pattern: /^(.*\.compressor)\.(wkv|wgate)\.weight$/,
    groupKey: "$1.fused_wkv_wgate",
  },
];

export function deepseekV4Preset(options: Preset["options"]): Preset {
  return {
    id: "deepseek-v4",
    description: "DeepSeek V4 (DeepSeek layout: layers.{L}.attn/ffn, mtp.{i}, <module>.scale companions)",
    options,
    rules: deepseekV4Rules(options),
    fusedGroups: DEEPSEEK_V4_FUSED_GROUPS,
  };
}
