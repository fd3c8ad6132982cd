/**
 * Engine contracts as data: for each engine × model family, the formats it loads, how it decides
 * each module's scheme (resolver), in whose module vocabulary, which source quantization_config
 * keys it still reads, and which schemes it cannot run for which modules. The converter reads the
 * vocabulary and carried-over keys from here; `inspect` and the engine-contract tests resolve
 * outputs with it. Every entry names the source it was read from (sources.ts); docs/engines.md
 * explains each one.
 */
import type { Engine, OutputFormat } from "@fp4kit/protocol";
import type { ModelFamily } from "../rules/types.ts";
import type { ResolverId, ResolverOptions, Scheme, WeightsMapperRules } from "./resolvers.ts";
import type { SourceKey } from "./sources.ts";
import { VLLM_DEEPSEEK_HF_PACKED, type VocabularyId } from "./vocabulary.ts";

export interface FormatContract {
  resolver: ResolverId;
  resolverOptions: ResolverOptions;
  vocabulary: VocabularyId;
  /** Where the rules of this entry were read. */
  sources: SourceKey[];
}

export interface ModuleRequirement {
  /** Engine module names the rule is about. */
  pattern: RegExp;
  /** Schemes the engine cannot run for these modules. */
  forbidden: Scheme[];
  why: string;
  source: SourceKey;
}

export interface EngineFamilyContract {
  engine: Engine;
  family: ModelFamily;
  /** The formats this engine loads for this family, with how it reads each. */
  formats: Partial<Record<OutputFormat, FormatContract>>;
  /** quantization_config keys of the source the engine reads on this family (kept in the output). */
  carryOverKeys: string[];
  requirements: ModuleRequirement[];
  /**
   * Checkpoint modules the engine builds as plain unquantized Linears whatever the config says: an
   * FP8 source weight there is written as BF16 (its scale would have no parameter to load into).
   */
  unquantizedModules: RegExp[];
}

/**
 * vLLM's DeepSeek V4 WeightsMapper (deepseek_v4.py `_make_deepseek_v4_weights_mapper`, FP8-expert
 * variant), which `apply_vllm_mapper` also applies to compressed-tensors targets and ignore lists.
 */
const VLLM_V4_MAPPER: WeightsMapperRules = {
  substr: [
    [".attn.compressor.", ".attn.mla_attn.compressor."],
    [".shared_experts.w2", ".shared_experts.down_proj"],
  ],
  prefix: [
    ["layers.", "model.layers."],
    ["embed.", "model.embed."],
    ["norm.", "model.norm."],
    ["hc_head", "model.hc_head"],
    ["mtp.", "model.mtp."],
  ],
  suffix: [
    ["head.weight", "lm_head.weight"],
    ["embed.weight", "embed_tokens.weight"],
    [".ffn_norm.weight", ".ffn.norm_gate.norm.weight"],
    [".ffn.gate.weight", ".ffn.norm_gate.gate.weight"],
    [".ffn.gate.bias", ".ffn.norm_gate.e_score_correction_bias"],
    [".ffn.gate.tid2eid", ".ffn.norm_gate.tid2eid"],
  ],
  regex: [[/\.scale$/, ".weight_scale_inv"]],
};

const V4_ATTENTION_FP8: ModuleRequirement[] = [
  {
    pattern: /\.attn\.wo_a$/,
    forbidden: ["nvfp4", "unquantized"],
    why: "vLLM runs wo_a as an FP8 einsum on wo_a.weight and its block scale (weight_scale_inv, or compressed-tensors' weight_scale)",
    source: "vllmDeepseekV4OProj",
  },
  {
    pattern: /\.attn\.(fused_wqa_wkv|wq_a|wkv|wq_b|wo_b|indexer\.wq_b)$/,
    forbidden: ["nvfp4"],
    why: "DeepSeek V4 attention stays FP8: NVIDIA's V4 export excludes *.attn.* and no engine read here runs V4 attention in NVFP4",
    source: "modelOptV4Export",
  },
];

const V4_KEPT_BF16: ModuleRequirement = {
  pattern: /\.(compressor\.(wkv|wgate)|indexer\.weights_proj)$/,
  forbidden: ["nvfp4", "fp8-block"],
  why: "vLLM builds the KV compressors' fused_wkv_wgate and the indexer's weights_proj with quant_config=None and multiplies their BF16 weight directly",
  source: "vllmDeepseekCompressor",
};

const VLLM_MODELOPT_HF: FormatContract = {
  resolver: "modelopt-nvfp4",
  resolverOptions: { packedModules: VLLM_DEEPSEEK_HF_PACKED },
  vocabulary: "vllm-deepseek-hf",
  sources: ["vllmDeepseekV2"],
};

export const ENGINE_CONTRACTS: readonly EngineFamilyContract[] = [
  ...(["deepseek-v3", "deepseek-v3.2"] as const).map(
    (family): EngineFamilyContract => ({
      engine: "vllm",
      family,
      formats: {
        "compressed-tensors": {
          resolver: "vllm-compressed-tensors",
          resolverOptions: { packedModules: VLLM_DEEPSEEK_HF_PACKED },
          vocabulary: "vllm-deepseek-hf",
          sources: [
            "vllmDeepseekV2",
            "vllmCompressedTensorsConfig",
            "vllmCompressedTensorsMoe",
            "vllmCtW4A16Nvfp4",
          ],
        },
        "compressed-tensors-w4a4": {
          resolver: "vllm-compressed-tensors",
          resolverOptions: { packedModules: VLLM_DEEPSEEK_HF_PACKED },
          vocabulary: "vllm-deepseek-hf",
          sources: [
            "vllmDeepseekV2",
            "vllmCompressedTensorsConfig",
            "vllmCompressedTensorsMoe",
            "vllmCtW4A4Nvfp4",
          ],
        },
        modelopt: VLLM_MODELOPT_HF,
      },
      carryOverKeys: [],
      requirements: [],
      // deepseek_mtp.py: the MTP layer's eh_proj is a torch nn.Linear, outside the quantization config.
      unquantizedModules: [/\.eh_proj$/],
    }),
  ),
  {
    engine: "vllm",
    family: "deepseek-v4",
    formats: {
      "compressed-tensors": {
        resolver: "vllm-compressed-tensors",
        resolverOptions: { mapper: VLLM_V4_MAPPER },
        vocabulary: "vllm-deepseek-v4",
        sources: [
          "vllmDeepseekV4",
          "vllmDeepseekV4Mtp",
          "vllmDeepseekV4Attention",
          "vllmDeepseekV4OProj",
          "vllmDeepseekCompressor",
          "vllmCompressedTensorsConfig",
          "vllmCompressedTensorsMoe",
          "vllmCtW4A16Nvfp4",
        ],
      },
      "compressed-tensors-w4a4": {
        resolver: "vllm-compressed-tensors",
        resolverOptions: { mapper: VLLM_V4_MAPPER },
        vocabulary: "vllm-deepseek-v4",
        sources: [
          "vllmDeepseekV4",
          "vllmDeepseekV4Mtp",
          "vllmDeepseekV4Attention",
          "vllmDeepseekV4OProj",
          "vllmDeepseekCompressor",
          "vllmCompressedTensorsConfig",
          "vllmCompressedTensorsMoe",
          "vllmCtW4A4Nvfp4",
        ],
      },
      modelopt: {
        resolver: "vllm-deepseek-v4-fp8",
        resolverOptions: {},
        vocabulary: "vllm-deepseek-v4",
        sources: ["vllmDeepseekV4QuantConfig", "vllmDeepseekV4", "modelOptV4Export"],
      },
    },
    // DeepseekV4Attention reads config.quantization_config["scale_fmt"].
    carryOverKeys: ["scale_fmt"],
    requirements: [...V4_ATTENTION_FP8, V4_KEPT_BF16],
    unquantizedModules: [],
  },
  ...(["deepseek-v3", "deepseek-v3.2"] as const).map(
    (family): EngineFamilyContract => ({
      engine: "sglang",
      family,
      formats: {
        modelopt: {
          resolver: "modelopt-nvfp4",
          resolverOptions: {},
          vocabulary: "checkpoint",
          sources: ["sglangModelOpt"],
        },
      },
      carryOverKeys: [],
      requirements: [],
      unquantizedModules: [],
    }),
  ),
  {
    engine: "sglang",
    family: "deepseek-v4",
    formats: {
      modelopt: {
        resolver: "sglang-hybrid-fp8-nvfp4",
        resolverOptions: {},
        vocabulary: "checkpoint",
        sources: ["sglangHybridFp8NvFp4", "sglangModelOpt", "modelOptV4Export"],
      },
    },
    carryOverKeys: ["scale_fmt"],
    requirements: [...V4_ATTENTION_FP8, V4_KEPT_BF16],
    unquantizedModules: [],
  },
  ...(["deepseek-v3", "deepseek-v3.2", "deepseek-v4"] as const).map(
    (family): EngineFamilyContract => ({
      engine: "trtllm",
      family,
      formats: {
        modelopt: {
          resolver: "trtllm-modelopt",
          resolverOptions: {},
          vocabulary: "checkpoint",
          sources: [
            "trtllmModelConfig",
            ...(family === "deepseek-v4" ? (["modelOptV4Export"] as const) : []),
          ],
        },
      },
      carryOverKeys: family === "deepseek-v4" ? ["scale_fmt"] : [],
      requirements: family === "deepseek-v4" ? [...V4_ATTENTION_FP8, V4_KEPT_BF16] : [],
      unquantizedModules: [],
    }),
  ),
];

export function engineContract(engine: Engine, family: ModelFamily): EngineFamilyContract {
  const contract = ENGINE_CONTRACTS.find((c) => c.engine === engine && c.family === family);
  if (contract === undefined) throw new Error(`no contract for ${engine} × ${family}`);
  return contract;
}
