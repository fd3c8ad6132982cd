/**
 * The CUDA kernels as a multi-GPU pipeline (native/cuda/pipeline.h): `lanesPerGpu` tensors in
 * flight on each of GPUs 0..gpus-1, each through pinned staging buffers, so copies to and from one
 * GPU overlap its kernels and all GPUs work at once. Each call goes to the least-loaded GPU.
 * Results are returned per call, so a caller that consumes them in its own order (the converter
 * writes units in shard order) gets the same bytes for any number of GPUs.
 *
 * Each async call runs on a libuv pool thread for its whole trip through the GPU: the pool needs
 * more threads than the default 4 (bin/fp4kit.js sets UV_THREADPOOL_SIZE=64 unless given).
 *
 * One upload for both passes: `amaxAsync(t)` keeps t's device copy, and `quantizeAsync` of the
 * same tensor object runs from it (native/cuda/pipeline.h; the copy is dropped after a few GiB of
 * newer ones, and the call then uploads again). The converter takes the amax of every tensor (and
 * of every member of a fused group) before quantizing it with the global scale, so each tensor
 * crosses the host→device link once. A tensor's data must not change between its two calls.
 *
 * Buffers locked through `hostMemory` (the converter's read buffers and staging blocks) are copied
 * to and from the GPU by DMA in place: no copy through the lanes' pinned buffers.
 */
import type { Nvfp4Kernel } from "./kernel.ts";
import { checkAmax, describeCudaDevice, prepareQuantize, toResult } from "./native-kernels.ts";
import type {
  CudaAddon,
  CudaPipelineAddon,
  CudaPipelineCounters,
  CudaPipelineGpu,
  CudaProbe,
} from "./native-loader.ts";
import type { Fp8BlockScaledTensor } from "./types.ts";
import { validateFp8BlockScaledTensor } from "./validate.ts";

export interface CudaPipelineOptions {
  /** GPUs 0..gpus-1 (at least 1). */
  gpus: number;
  /**
   * Tensors in flight per GPU (default 3): one uploading, one in the kernels, one downloading.
   */
  lanesPerGpu?: number;
}

export const DEFAULT_LANES_PER_GPU = 3;

export interface CudaPipelineKernel extends Nvfp4Kernel {
  readonly name: "cuda";
  readonly gpus: readonly CudaPipelineGpu[];
  readonly concurrency: number;
  /** Per-GPU work so far: calls, bytes, time per stage (shows how work was spread). */
  counters(): CudaPipelineCounters[];
}

/** Throws (with CUDA's reason) when fewer than `gpus` usable GPUs are present. */
export function createCudaPipelineKernel(
  addon: CudaAddon & CudaPipelineAddon,
  probe: CudaProbe,
  options: CudaPipelineOptions,
): CudaPipelineKernel {
  const lanes = Math.max(1, Math.floor(options.lanesPerGpu ?? DEFAULT_LANES_PER_GPU));
  const opened = addon.pipelineOpen(Math.floor(options.gpus), lanes);
  const handle = opened.handle;
  const args = (t: Fp8BlockScaledTensor) =>
    [t.data, t.rows, t.cols, t.scale, t.blockRows, t.blockCols] as const;
  const count = opened.gpus.length;
  // Ids of tensors whose amax call kept a device copy; a quantize call takes its tensor's id.
  const parked = new WeakMap<Fp8BlockScaledTensor, number>();
  let lastId = 0;
  return {
    name: "cuda",
    description: `cuda pipeline (${count} × ${describeCudaDevice(probe)}, ${lanes} tensors in flight per GPU)`,
    gpus: opened.gpus,
    concurrency: count * lanes,
    amax(t) {
      validateFp8BlockScaledTensor(t);
      return checkAmax(t, addon.pipelineAmax(...args(t), handle));
    },
    quantize(t, gs, out) {
      const o = prepareQuantize(t, gs, out);
      return toResult(t, o, addon.pipelineQuantize(...args(t), gs, o.packed, o.blockScales, handle));
    },
    async amaxAsync(t) {
      validateFp8BlockScaledTensor(t);
      lastId += 1;
      parked.set(t, lastId);
      return checkAmax(t, await addon.pipelineAmaxAsync(...args(t), handle, lastId));
    },
    async quantizeAsync(t, gs, out) {
      const o = prepareQuantize(t, gs, out);
      const id = parked.get(t) ?? 0;
      parked.delete(t);
      return toResult(
        t,
        o,
        await addon.pipelineQuantizeAsync(...args(t), gs, o.packed, o.blockScales, handle, id),
      );
    },
    hostMemory: {
      lock: (view) =>
        addon.hostRegisterAsync(view).then(
          () => true,
          () => false,
        ),
      unlock: (view) => addon.hostUnregister(view),
    },
    counters: () => addon.pipelineCounters(handle),
    dispose() {
      addon.pipelineClose(handle);
    },
  };
}
