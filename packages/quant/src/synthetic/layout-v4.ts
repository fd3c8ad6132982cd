/**
 * Tensor list of a DeepSeek V4 checkpoint in DeepSeek's own layout, with the module structure
 * vLLM's deepseek_v4.py / deepseek_v4_mtp.py / deepseek_v4_attention.py / deepseek_compressor.py
 * load: `<module>.scale` companions; compressor (layers with compress ratio > 1) and indexer
 * (ratio 4 only) in BF16 except the indexer's FP8 wq_b; float32 mHC tensors; MTP under `mtp.{i}`.
 *
 * Variants: "fp8" = uniform FP8 (expert_dtype "fp8", F32 scales, like V4-Flash-Base and the FP8
 * repackage of V4-Pro); "mxfp4" = the original release (expert_dtype "fp4": routed experts MXFP4
 * with E8M0 scales, FP8 Linear scales stored as E8M0 too; one faint row in each layer's expert 0 w2).
 */
import { compressRatios, type SyntheticDims } from "./dims.ts";
import { bf16, type Fp8LinearOptions, f32, fp8Linear, mxfp4Linear, norm, type TensorSpec } from "./specs.ts";

export type V4Variant = "fp8" | "mxfp4";

export function deepseekV4Tensors(dims: SyntheticDims, variant: V4Variant): TensorSpec[] {
  const fp8: Fp8LinearOptions = { naming: "scale", scaleDtype: variant === "mxfp4" ? "F8_E8M0" : "F32" };
  const ratios = compressRatios(dims.layers);
  const specs: TensorSpec[] = [bf16("embed.weight", [dims.vocab, dims.hidden])];
  for (let layer = 0; layer < dims.layers; layer++) {
    specs.push(
      ...block(`layers.${layer}`, dims, variant, fp8, {
        ratio: ratios[layer] ?? 0,
        hash: layer < dims.hashLayers,
      }),
    );
  }
  for (let i = 0; i < dims.mtpLayers; i++) {
    const prefix = `mtp.${i}`;
    specs.push(
      norm(`${prefix}.enorm.weight`, dims.hidden),
      norm(`${prefix}.hnorm.weight`, dims.hidden),
      ...fp8Linear(`${prefix}.e_proj`, dims.hidden, dims.hidden, fp8),
      ...fp8Linear(`${prefix}.h_proj`, dims.hidden, dims.hidden, fp8),
      ...block(prefix, dims, variant, fp8, { ratio: 0, hash: false }),
      norm(`${prefix}.norm.weight`, dims.hidden),
      ...hcHead(prefix, dims),
    );
  }
  specs.push(
    norm("norm.weight", dims.hidden),
    ...hcHead("", dims),
    bf16("head.weight", [dims.vocab, dims.hidden]),
  );
  return specs;
}

function block(
  prefix: string,
  dims: SyntheticDims,
  variant: V4Variant,
  fp8: Fp8LinearOptions,
  kind: { ratio: number; hash: boolean },
): TensorSpec[] {
  const mix = (2 + dims.hcMult) * dims.hcMult;
  const hcDim = dims.hcMult * dims.hidden;
  const specs: TensorSpec[] = [
    f32(`${prefix}.hc_attn_fn`, [mix, hcDim]),
    f32(`${prefix}.hc_attn_base`, [mix]),
    f32(`${prefix}.hc_attn_scale`, [3]),
    norm(`${prefix}.attn_norm.weight`, dims.hidden),
    ...attention(`${prefix}.attn`, dims, fp8, kind.ratio),
    f32(`${prefix}.hc_ffn_fn`, [mix, hcDim]),
    f32(`${prefix}.hc_ffn_base`, [mix]),
    f32(`${prefix}.hc_ffn_scale`, [3]),
    norm(`${prefix}.ffn_norm.weight`, dims.hidden),
    bf16(`${prefix}.ffn.gate.weight`, [dims.routedExperts, dims.hidden]),
    kind.hash
      ? {
          name: `${prefix}.ffn.gate.tid2eid`,
          dtype: "I32",
          shape: [dims.vocab, dims.expertsPerToken],
          fill: { kind: "expert-ids", experts: dims.routedExperts },
        }
      : f32(`${prefix}.ffn.gate.bias`, [dims.routedExperts], 0.01),
  ];
  for (let e = 0; e < dims.routedExperts; e++) {
    const expert = `${prefix}.ffn.experts.${e}`;
    // Expert 0's w2 has one faint row (see mxfp4Linear): its blocks are below E4M3's reach.
    const linear = (name: string, out: number, inDim: number) =>
      variant === "mxfp4"
        ? mxfp4Linear(`${expert}.${name}`, out, inDim, { faintRows: e === 0 && name === "w2" ? 1 : 0 })
        : fp8Linear(`${expert}.${name}`, out, inDim, fp8);
    specs.push(
      ...linear("w1", dims.moeIntermediate, dims.hidden),
      ...linear("w2", dims.hidden, dims.moeIntermediate),
      ...linear("w3", dims.moeIntermediate, dims.hidden),
    );
  }
  const shared = dims.moeIntermediate * dims.sharedExperts;
  specs.push(
    ...fp8Linear(`${prefix}.ffn.shared_experts.w1`, shared, dims.hidden, fp8),
    ...fp8Linear(`${prefix}.ffn.shared_experts.w2`, dims.hidden, shared, fp8),
    ...fp8Linear(`${prefix}.ffn.shared_experts.w3`, shared, dims.hidden, fp8),
  );
  return specs;
}

function attention(prefix: string, dims: SyntheticDims, fp8: Fp8LinearOptions, ratio: number): TensorSpec[] {
  const specs: TensorSpec[] = [
    ...fp8Linear(`${prefix}.wq_a`, dims.qLoraRank, dims.hidden, fp8),
    norm(`${prefix}.q_norm.weight`, dims.qLoraRank),
    ...fp8Linear(`${prefix}.wq_b`, dims.heads * dims.headDim, dims.qLoraRank, fp8),
    ...fp8Linear(`${prefix}.wkv`, dims.headDim, dims.hidden, fp8),
    norm(`${prefix}.kv_norm.weight`, dims.headDim),
    ...fp8Linear(
      `${prefix}.wo_a`,
      dims.oGroups * dims.oLoraRank,
      (dims.heads * dims.headDim) / dims.oGroups,
      fp8,
    ),
    ...fp8Linear(`${prefix}.wo_b`, dims.hidden, dims.oGroups * dims.oLoraRank, fp8),
    f32(`${prefix}.attn_sink`, [dims.heads], 1),
  ];
  if (ratio > 1) specs.push(...compressor(`${prefix}.compressor`, dims.hidden, dims.headDim, ratio));
  if (ratio === 4) {
    specs.push(
      ...fp8Linear(`${prefix}.indexer.wq_b`, dims.indexHeads * dims.indexHeadDim, dims.qLoraRank, fp8),
      bf16(`${prefix}.indexer.weights_proj.weight`, [dims.indexHeads, dims.hidden]),
      ...compressor(`${prefix}.indexer.compressor`, dims.hidden, dims.indexHeadDim, ratio),
    );
  }
  return specs;
}

/** Ratio-4 compressors overlap windows and carry twice the width (coff = 2). */
function compressor(prefix: string, hidden: number, headDim: number, ratio: number): TensorSpec[] {
  const width = (ratio === 4 ? 2 : 1) * headDim;
  return [
    f32(`${prefix}.ape`, [ratio, width]),
    bf16(`${prefix}.wkv.weight`, [width, hidden]),
    bf16(`${prefix}.wgate.weight`, [width, hidden]),
    norm(`${prefix}.norm.weight`, headDim),
  ];
}

function hcHead(prefix: string, dims: SyntheticDims): TensorSpec[] {
  const p = prefix === "" ? "" : `${prefix}.`;
  return [
    f32(`${p}hc_head_fn`, [dims.hcMult, dims.hcMult * dims.hidden]),
    f32(`${p}hc_head_base`, [dims.hcMult]),
    f32(`${p}hc_head_scale`, [1]),
  ];
}
