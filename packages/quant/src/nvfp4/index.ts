/** NVFP4 quantization of FP8 block-scaled tensors: the reference math and its kernels. */

export {
  type CudaPipelineKernel,
  type CudaPipelineOptions,
  createCudaPipelineKernel,
  DEFAULT_LANES_PER_GPU,
} from "./cuda-pipeline.ts";
export * from "./errors.ts";
export type { Nvfp4Kernel, Nvfp4KernelName } from "./kernel.ts";
export { type CpuKernelOptions, createCpuNativeKernel, createCudaKernel } from "./native-kernels.ts";
export {
  type AddonLoad,
  type CpuAddon,
  type CudaAddon,
  type CudaPipelineAddon,
  type CudaPipelineCounters,
  type CudaPipelineGpu,
  type CudaProbe,
  DEFAULT_NATIVE_BUILD_DIR,
  hasCudaPipeline,
  loadCpuAddon,
  loadCudaAddon,
} from "./native-loader.ts";
export {
  fp8BlockAmax,
  NVFP4_GLOBAL_SCALE_DIVISOR,
  nvfp4GlobalScale,
  quantizeNvfp4,
  relativeRmsError,
} from "./reference.ts";
export {
  type KernelAttempt,
  type KernelSelection,
  type SelectKernelOptions,
  selectKernel,
} from "./select-kernel.ts";
export * from "./types.ts";
export { createTypeScriptKernel } from "./typescript-kernel.ts";
export {
  FLOAT32_MIN_NORMAL,
  scaleGridShape,
  validateFp8BlockScaledTensor,
  validateGlobalScale,
  validateNvfp4Shape,
} from "./validate.ts";
