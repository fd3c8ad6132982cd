/**
 * Public facts of published NVFP4 DeepSeek checkpoints, kept as test data (not their files).
 *
 * nvidia/DeepSeek-V4-Flash-NVFP4 (and -Pro-NVFP4) are written by ModelOpt's
 * examples/deepseek/deepseek_v4/quantize_to_nvfp4.py (NVIDIA/Model-Optimizer @ 0fd7b4c4): the facts
 * below are what that script writes, read from it: per routed expert weight (layers and MTP) the
 * packed weight, its E4M3 block scale, 0-d weight_scale_2 and input_scale, the FP8 `.scale`
 * dropped; every other tensor passed through; config.json's source quantization_config with
 * quant_method fp8 and moe_quant_algo NVFP4; hf_quant_config.json MIXED_PRECISION.
 *
 * RedHatAI/DeepSeek-V4-Flash-NVFP4-FP8: its config.json and tensor list were not findable with the
 * search tools; its public description (the canada-quant/DeepSeek-V4-Flash-NVFP4-FP8-MTP model card,
 * which repackages "the same quantization math") says: compressed-tensors, NVFP4 with group 16 and
 * FP8 E4M3 scales on the routed experts, FP8_BLOCK 128×128 on attention, MTP dropped.
 *
 * nvidia/DeepSeek-R1-0528-FP4: its model card was found, not its config or tensor list.
 */
export const NVIDIA_V4_NVFP4 = {
  /** config.json quantization_config keys the export sets (others are the source's, kept). */
  quantizationConfig: { quant_method: "fp8", activation_scheme: "dynamic", moe_quant_algo: "NVFP4" },
  hfQuantConfig: {
    producerName: "modelopt",
    quant_algo: "MIXED_PRECISION",
    kv_cache_quant_algo: null,
    group_size: 16,
    quantizedLayer: { quant_algo: "NVFP4", group_size: 16 },
    exclude_modules: [
      "*.attn.*",
      "*.attn_norm.*",
      "*.ffn.shared_experts.*",
      "*.ffn.gate.*",
      "*.ffn_norm.*",
      "embed.weight",
      "head.weight",
      "*.hc_*",
      "*.h_proj.*",
      "*.e_proj.*",
      "*.enorm.*",
      "*.hnorm.*",
      "mtp.*.norm.*",
      "norm.weight",
    ],
  },
  /** Routed expert weights, in layers and MTP blocks. */
  expertWeight: /^(?:mtp\.\d+|layers\.\d+)\.ffn\.experts\.\d+\.w[123]\.weight$/,
  /** What each expert weight <p>.weight becomes (rows × cols source shape). */
  expertTensors: (p: string, rows: number, cols: number) => [
    { name: `${p}.weight`, dtype: "U8", shape: [rows, cols / 2] },
    { name: `${p}.weight_scale`, dtype: "F8_E4M3", shape: [rows, cols / 16] },
    { name: `${p}.weight_scale_2`, dtype: "F32", shape: [] },
    { name: `${p}.input_scale`, dtype: "F32", shape: [] },
  ],
} as const;

export const REDHAT_V4_NVFP4_FP8 = {
  quant_method: "compressed-tensors",
  expertWeights: { num_bits: 4, type: "float", group_size: 16 },
  attentionWeights: { num_bits: 8, type: "float", strategy: "block", block_structure: [128, 128] },
} as const;
