/**
 * The engine and library source files the contracts were read from, pinned to the commit read.
 * docs/engines.md cites these for every claim; the contract data (contracts.ts) names the source
 * of each rule by key.
 */
export interface SourceRef {
  repo: string;
  path: string;
  /** The commit read, or why none can be given. */
  commit: string;
}

export const SOURCES = {
  vllmDeepseekV4: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/models/deepseek_v4.py",
    commit: "023da1fc828eb07787cf0734a1ba32f0a0f11887",
  },
  vllmDeepseekV4Mtp: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/models/deepseek_v4_mtp.py",
    commit: "45292767bc2c0ea333ec20045634a1a5d1abb443",
  },
  vllmDeepseekV4Attention: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/layers/deepseek_v4_attention.py",
    commit: "0a291a2e1074b13971361df76245548a4ea4a77d",
  },
  /** The newer V4 attention's output projection: wo_a's scale by either registered name. */
  vllmDeepseekV4OProj: {
    repo: "vllm-project/vllm",
    path: "vllm/models/deepseek_v4/nvidia/ops/o_proj.py",
    commit: "055e47c28003156421365af985d676fc921cb075",
  },
  vllmDeepseekCompressor: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/layers/deepseek_compressor.py",
    commit: "bbd1024110933d0f97a35c527de2f8b6da23bfa8",
  },
  vllmDeepseekV4QuantConfig: {
    repo: "vllm-project/vllm",
    path: "vllm/models/deepseek_v4/quant_config.py",
    commit: "e95bf0dfd8bc0f66724b083d56021777d8ecdc12",
  },
  vllmDeepseekV2: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/models/deepseek_v2.py",
    commit: "b863fe5bf4e19680572603b4e166faefc5725551",
  },
  vllmDeepseekMtp: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/models/deepseek_mtp.py",
    commit: "4f7c14402630b97c8c078523fca8edef287ed2cf",
  },
  vllmCompressedTensorsConfig: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/layers/quantization/compressed_tensors/compressed_tensors.py",
    commit: "be696453ee1bf3b7a2f652cc457b340d5a20c88c",
  },
  vllmCompressedTensorsMoe: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/layers/quantization/compressed_tensors/compressed_tensors_moe/compressed_tensors_moe.py",
    commit: "0043d6b52fdafbbed46c819125a2d582a148e121",
  },
  vllmCtW4A16Nvfp4: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/layers/quantization/compressed_tensors/schemes/compressed_tensors_w4a16_nvfp4.py",
    commit: "17b6501a6ce929d83d4b5c1d408adf0ae4a610f8",
  },
  vllmCtW4A4Nvfp4: {
    repo: "vllm-project/vllm",
    path: "vllm/model_executor/layers/quantization/compressed_tensors/schemes/compressed_tensors_w4a4_nvfp4.py",
    commit: "85f1f913cf8d26e0c6ca0ad09792cb45470069bf",
  },
  ctQuantArgs: {
    repo: "vllm-project/compressed-tensors",
    path: "src/compressed_tensors/quantization/quant_args.py",
    commit: "dc235db7891141be104c0be36a75a4103136a157",
  },
  ctQuantConfig: {
    repo: "vllm-project/compressed-tensors",
    path: "src/compressed_tensors/quantization/quant_config.py",
    commit: "179cba93043885b3b7bcc3b1ecea0793b888ed67",
  },
  ctQuantScheme: {
    repo: "vllm-project/compressed-tensors",
    path: "src/compressed_tensors/quantization/quant_scheme.py",
    commit: "da3ad9fe7271835fa484ccdbf3ee231984695bc9",
  },
  ctCompressionFormat: {
    repo: "vllm-project/compressed-tensors",
    path: "src/compressed_tensors/config/base.py",
    commit: "5eb8169f369292c1c5f4dde9da58157d5f742e12",
  },
  sglangModelOpt: {
    repo: "sgl-project/sglang",
    path: "python/sglang/srt/layers/quantization/modelopt_quant.py",
    commit: "faeb96856c4417d55695feec2f4d2463c8adb7fd",
  },
  /**
   * The newer modelopt_quant.py with HybridFp8NvFp4Config (the FP8 + NVFP4-experts dispatch for
   * DeepSeek V4), read without a known commit.
   */
  sglangHybridFp8NvFp4: {
    repo: "sgl-project/sglang",
    path: "python/sglang/srt/layers/quantization/modelopt_quant.py",
    commit: "unknown (the version defining HybridFp8NvFp4Config)",
  },
  trtllmModelConfig: {
    repo: "NVIDIA/TensorRT-LLM",
    path: "tensorrt_llm/_torch/model_config.py",
    commit: "1a0dc5f70054f66d892df6a964996fc5ead6f81e",
  },
  modelOptV4Export: {
    repo: "NVIDIA/Model-Optimizer",
    path: "examples/deepseek/deepseek_v4/quantize_to_nvfp4.py",
    commit: "0fd7b4c40bf9902f58080fe3ba9667a8ea564020",
  },
} as const satisfies Record<string, SourceRef>;

export type SourceKey = keyof typeof SOURCES;
