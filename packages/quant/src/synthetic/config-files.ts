/**
 * The non-tensor files of a synthetic checkpoint: config.json (with the source's FP8
 * quantization_config), generation_config.json and a small byte-level BPE tokenizer.
 */
import type { ModelFamily } from "../rules/types.ts";
import { compressRatios, type SyntheticDims } from "./dims.ts";
import type { V4Variant } from "./layout-v4.ts";

/** The FP8 block the DeepSeek releases declare (engines read it as "this checkpoint is FP8"). */
const FP8_QUANTIZATION_CONFIG = {
  activation_scheme: "dynamic",
  fmt: "e4m3",
  quant_method: "fp8",
  weight_block_size: [128, 128],
};

const BOS = "<｜begin▁of▁sentence｜>";
const EOS = "<｜end▁of▁sentence｜>";

function modelConfig(family: ModelFamily, dims: SyntheticDims, variant: V4Variant): Record<string, unknown> {
  return family === "deepseek-v4" ? v4Config(dims, variant) : hfConfig(family, dims);
}

/** Fields transformers' config classes type as float, which the models' own config.json spell as such. */
const FLOAT_FIELDS = ["swiglu_limit", "rope_theta", "compress_rope_theta", "routed_scaling_factor"];

/**
 * config.json's text: JSON, with float fields keeping a decimal point (`10.0`, not `10`) as the
 * released configs have them, since transformers' typed config classes refuse an int there.
 */
export function modelConfigText(family: ModelFamily, dims: SyntheticDims, variant: V4Variant): string {
  let text = `${JSON.stringify(modelConfig(family, dims, variant), null, 2)}\n`;
  for (const field of FLOAT_FIELDS)
    text = text.replace(new RegExp(`^(  "${field}": -?\\d+)(,?)$`, "m"), "$1.0$2");
  return text;
}

function hfConfig(family: "deepseek-v3" | "deepseek-v3.2", dims: SyntheticDims): Record<string, unknown> {
  const v32 = family === "deepseek-v3.2";
  return {
    architectures: [v32 ? "DeepseekV32ForCausalLM" : "DeepseekV3ForCausalLM"],
    model_type: v32 ? "deepseek_v32" : "deepseek_v3",
    attention_bias: false,
    attention_dropout: 0,
    bos_token_id: 0,
    eos_token_id: 1,
    first_k_dense_replace: dims.firstDenseLayers,
    hidden_act: "silu",
    hidden_size: dims.hidden,
    ...(v32 ? { index_head_dim: dims.indexHeadDim, index_n_heads: dims.indexHeads, index_topk: 64 } : {}),
    initializer_range: 0.02,
    intermediate_size: dims.intermediate,
    kv_lora_rank: dims.kvLoraRank,
    max_position_embeddings: 4096,
    moe_intermediate_size: dims.moeIntermediate,
    moe_layer_freq: 1,
    n_group: 2,
    n_routed_experts: dims.routedExperts,
    n_shared_experts: dims.sharedExperts,
    norm_topk_prob: true,
    num_attention_heads: dims.heads,
    num_experts_per_tok: dims.expertsPerToken,
    num_hidden_layers: dims.layers,
    num_key_value_heads: dims.heads,
    num_nextn_predict_layers: dims.mtpLayers,
    q_lora_rank: dims.qLoraRank,
    qk_nope_head_dim: dims.qkNopeHeadDim,
    qk_rope_head_dim: dims.qkRopeHeadDim,
    quantization_config: FP8_QUANTIZATION_CONFIG,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    routed_scaling_factor: 2.5,
    scoring_func: "sigmoid",
    tie_word_embeddings: false,
    topk_group: 1,
    topk_method: "noaux_tc",
    torch_dtype: "bfloat16",
    use_cache: true,
    v_head_dim: dims.vHeadDim,
    vocab_size: dims.vocab,
  };
}

function v4Config(dims: SyntheticDims, variant: V4Variant): Record<string, unknown> {
  return {
    architectures: ["DeepseekV4ForCausalLM"],
    model_type: "deepseek_v4",
    bos_token_id: 0,
    eos_token_id: 1,
    compress_ratios: compressRatios(dims.layers),
    compress_rope_theta: 160000,
    expert_dtype: variant === "mxfp4" ? "fp4" : "fp8",
    hc_eps: 1e-6,
    hc_mult: dims.hcMult,
    hc_sinkhorn_iters: 20,
    head_dim: dims.headDim,
    hidden_act: "silu",
    hidden_size: dims.hidden,
    index_head_dim: dims.indexHeadDim,
    index_n_heads: dims.indexHeads,
    index_topk: 64,
    max_position_embeddings: 4096,
    moe_intermediate_size: dims.moeIntermediate,
    n_routed_experts: dims.routedExperts,
    n_shared_experts: dims.sharedExperts,
    norm_topk_prob: true,
    num_attention_heads: dims.heads,
    num_experts_per_tok: dims.expertsPerToken,
    num_hash_layers: dims.hashLayers,
    num_hidden_layers: dims.layers,
    num_nextn_predict_layers: dims.mtpLayers,
    o_groups: dims.oGroups,
    o_lora_rank: dims.oLoraRank,
    q_lora_rank: dims.qLoraRank,
    qk_rope_head_dim: dims.qkRopeHeadDim,
    quantization_config: { ...FP8_QUANTIZATION_CONFIG, scale_fmt: "ue8m0" },
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    routed_scaling_factor: 1.5,
    scoring_func: "sqrtsoftplus",
    sliding_window: 128,
    swiglu_limit: 10,
    tie_word_embeddings: false,
    topk_method: "noaux_tc",
    torch_dtype: "bfloat16",
    vocab_size: dims.vocab,
  };
}

export function generationConfig(): Record<string, unknown> {
  return {
    _from_model_config: true,
    bos_token_id: 0,
    eos_token_id: 1,
    do_sample: true,
    temperature: 0.6,
    top_p: 0.95,
  };
}

export function tokenizerConfig(): Record<string, unknown> {
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: BOS,
    eos_token: EOS,
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: 4096,
    pad_token: EOS,
    tokenizer_class: "LlamaTokenizerFast",
  };
}

/** A valid Hugging Face `tokenizers` file: two special tokens + the 256 byte-level tokens. */
export function tokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = { [BOS]: 0, [EOS]: 1 };
  for (const symbol of byteLevelAlphabet()) vocab[symbol] = Object.keys(vocab).length;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(0, BOS), special(1, EOS)],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
function byteLevelAlphabet(): string[] {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : 0x100 + extra++));
}
