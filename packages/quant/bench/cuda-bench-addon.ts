/**
 * The CUDA kernels' benchmark harness, build/fp4kit_cuda_bench.node (native/cuda/bench_addon.cc).
 * Built only on request (`npm run build:bench -w @fp4kit/quant`) and loaded only by
 * scripts/gpu-check.ts: conversions load fp4kit_cuda.node, which has no benchmark.
 */
import { type AddonLoad, requireNativeAddon, type TensorArgs } from "../src/nvfp4/native-loader.ts";

export interface CudaBenchmarkResult {
  /** Milliseconds per call, kernel only (CUDA events, data already on the device). */
  amaxMs: number;
  /** Back to back, each launch overlapping the previous one's end (programmatic dependent launch). */
  quantizeMs: number;
  /** Each launch starting after the previous one has ended, as a launch that follows a copy does. */
  quantizeSerialMs: number;
  /** Launches dealt over three streams, each launch waiting for its own stream's previous one
   * only, as the pipeline's lanes of one GPU launch them. */
  quantizeLanesMs: number;
  /** One pageable host→device copy of data+scale, and device→host of packed+scales+row stats. */
  uploadMs: number;
  downloadMs: number;
  iterations: number;
}

export interface CudaBenchAddon {
  kind: "cuda-bench";
  /** Times the kernels of the build it came from on device 0 (its own copy of the launch layer). */
  benchmark(...args: [...TensorArgs, gs: number, iterations: number]): CudaBenchmarkResult;
}

export function loadCudaBenchAddon(dir: string): AddonLoad<CudaBenchAddon> {
  return requireNativeAddon<CudaBenchAddon>(
    dir,
    "fp4kit_cuda_bench.node",
    () => " (run `npm run build:bench -w @fp4kit/quant`)",
  );
}
