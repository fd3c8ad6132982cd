import { z } from "zod";

export const GpuInfoSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  memoryTotalBytes: z.number().nonnegative(),
});

export const DataRootSchema = z.object({
  path: z.string(),
  freeBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
});

/** A checkpoint folder found under a data root: config.json beside safetensors weights. */
export const FoundCheckpointSchema = z.object({
  path: z.string(),
  /** config.json's quantization_config.quant_method ("fp8", "modelopt", ...); null: none declared. */
  quantization: z.string().nullable(),
  /** Bytes of its .safetensors files. */
  weightBytes: z.number().nonnegative(),
});
export type FoundCheckpoint = z.infer<typeof FoundCheckpointSchema>;

/** At most this many checkpoints are reported (the nearest to the roots first). */
export const MAX_FOUND_CHECKPOINTS = 200;

export const PythonCapabilitiesSchema = z.object({
  /** e.g. "3.11.7"; null when no python3 was found. */
  version: z.string().nullable(),
  packages: z.object({
    torch: z.string().nullable(),
    llmcompressor: z.string().nullable(),
    vllm: z.string().nullable(),
    safetensors: z.string().nullable(),
  }),
});

export const AgentCapabilitiesSchema = z.object({
  hostname: z.string(),
  version: z.string(),
  platform: z.string(),
  cpuCount: z.number().int().positive(),
  gpus: z.array(GpuInfoSchema),
  /** Which NVFP4 kernel the agent would use, and why (e.g. CUDA unusable: no driver). */
  kernel: z.object({ name: z.enum(["cuda", "cpu-native", "typescript"]), reason: z.string() }),
  roots: z.array(DataRootSchema),
  /** Checkpoints under the roots when the agent connected (absent from agents before this field). */
  checkpoints: z.array(FoundCheckpointSchema).max(MAX_FOUND_CHECKPOINTS).default([]),
  python: PythonCapabilitiesSchema,
});
export type AgentCapabilities = z.infer<typeof AgentCapabilitiesSchema>;
