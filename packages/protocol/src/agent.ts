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
  python: PythonCapabilitiesSchema,
});
export type AgentCapabilities = z.infer<typeof AgentCapabilitiesSchema>;
