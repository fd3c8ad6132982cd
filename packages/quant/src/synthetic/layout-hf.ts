/**
 * Tensor list of a DeepSeek V3 / V3.2 FP8 checkpoint in the HF layout (names as in
 * deepseek-ai/DeepSeek-V3's model.safetensors.index.json; V3.2 adds self_attn.indexer.*).
 * The MTP layer is model.layers.{layers} with its own embed/enorm/hnorm/eh_proj/shared_head.
 */
import type { SyntheticDims } from "./dims.ts";
import { bf16, f32, fp8Linear, norm, type TensorSpec } from "./specs.ts";

const FP8 = { naming: "weight_scale_inv", scaleDtype: "F32" } as const;

export function hfDeepseekTensors(dims: SyntheticDims, options: { indexer: boolean }): TensorSpec[] {
  const specs: TensorSpec[] = [bf16("model.embed_tokens.weight", [dims.vocab, dims.hidden])];
  for (let layer = 0; layer < dims.layers + dims.mtpLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const isMtp = layer >= dims.layers;
    if (isMtp) {
      specs.push(
        bf16(`${prefix}.embed_tokens.weight`, [dims.vocab, dims.hidden]),
        norm(`${prefix}.enorm.weight`, dims.hidden),
        norm(`${prefix}.hnorm.weight`, dims.hidden),
        ...fp8Linear(`${prefix}.eh_proj`, dims.hidden, 2 * dims.hidden, FP8),
      );
    }
    specs.push(norm(`${prefix}.input_layernorm.weight`, dims.hidden));
    specs.push(...attention(`${prefix}.self_attn`, dims, options.indexer));
    specs.push(norm(`${prefix}.post_attention_layernorm.weight`, dims.hidden));
    specs.push(
      ...(layer < dims.firstDenseLayers ? denseMlp(`${prefix}.mlp`, dims) : moe(`${prefix}.mlp`, dims)),
    );
    if (isMtp) {
      specs.push(
        norm(`${prefix}.shared_head.norm.weight`, dims.hidden),
        bf16(`${prefix}.shared_head.head.weight`, [dims.vocab, dims.hidden]),
      );
    }
  }
  specs.push(norm("model.norm.weight", dims.hidden), bf16("lm_head.weight", [dims.vocab, dims.hidden]));
  return specs;
}

function attention(prefix: string, dims: SyntheticDims, indexer: boolean): TensorSpec[] {
  const qHead = dims.qkNopeHeadDim + dims.qkRopeHeadDim;
  const specs = [
    ...fp8Linear(`${prefix}.q_a_proj`, dims.qLoraRank, dims.hidden, FP8),
    norm(`${prefix}.q_a_layernorm.weight`, dims.qLoraRank),
    ...fp8Linear(`${prefix}.q_b_proj`, dims.heads * qHead, dims.qLoraRank, FP8),
    ...fp8Linear(`${prefix}.kv_a_proj_with_mqa`, dims.kvLoraRank + dims.qkRopeHeadDim, dims.hidden, FP8),
    norm(`${prefix}.kv_a_layernorm.weight`, dims.kvLoraRank),
    ...fp8Linear(
      `${prefix}.kv_b_proj`,
      dims.heads * (dims.qkNopeHeadDim + dims.vHeadDim),
      dims.kvLoraRank,
      FP8,
    ),
    ...fp8Linear(`${prefix}.o_proj`, dims.hidden, dims.heads * dims.vHeadDim, FP8),
  ];
  if (indexer) {
    specs.push(
      ...fp8Linear(`${prefix}.indexer.wq_b`, dims.indexHeads * dims.indexHeadDim, dims.qLoraRank, FP8),
      ...fp8Linear(`${prefix}.indexer.wk`, dims.indexHeadDim, dims.hidden, FP8),
      norm(`${prefix}.indexer.k_norm.weight`, dims.indexHeadDim),
      f32(`${prefix}.indexer.k_norm.bias`, [dims.indexHeadDim]),
      bf16(`${prefix}.indexer.weights_proj.weight`, [dims.indexHeads, dims.hidden]),
    );
  }
  return specs;
}

function denseMlp(prefix: string, dims: SyntheticDims): TensorSpec[] {
  return [
    ...fp8Linear(`${prefix}.gate_proj`, dims.intermediate, dims.hidden, FP8),
    ...fp8Linear(`${prefix}.up_proj`, dims.intermediate, dims.hidden, FP8),
    ...fp8Linear(`${prefix}.down_proj`, dims.hidden, dims.intermediate, FP8),
  ];
}

function moe(prefix: string, dims: SyntheticDims): TensorSpec[] {
  const specs: TensorSpec[] = [
    bf16(`${prefix}.gate.weight`, [dims.routedExperts, dims.hidden]),
    f32(`${prefix}.gate.e_score_correction_bias`, [dims.routedExperts], 0.01),
  ];
  for (let e = 0; e < dims.routedExperts; e++)
    specs.push(...expert(`${prefix}.experts.${e}`, dims.moeIntermediate, dims));
  specs.push(...expert(`${prefix}.shared_experts`, dims.moeIntermediate * dims.sharedExperts, dims));
  return specs;
}

function expert(prefix: string, inner: number, dims: SyntheticDims): TensorSpec[] {
  return [
    ...fp8Linear(`${prefix}.gate_proj`, inner, dims.hidden, FP8),
    ...fp8Linear(`${prefix}.up_proj`, inner, dims.hidden, FP8),
    ...fp8Linear(`${prefix}.down_proj`, dims.hidden, inner, FP8),
  ];
}
