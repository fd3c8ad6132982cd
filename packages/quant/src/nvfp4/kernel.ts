/**
 * The interface a streaming converter uses to quantize one tensor at a time, whatever runs it.
 *
 * Pipeline use: for each tensor (or fused group) call `amax` on every member, take the max, derive
 * `nvfp4GlobalScale(max)` once, then `quantize` each member with that shared scale. The async
 * variants return the same bytes but run off the JS thread (native kernels), so a pipeline can read
 * and write shards while a tensor is being quantized. Inputs must not be modified while an async
 * call is in flight. `out` lets the caller quantize straight into (views of) its output buffers.
 */
import type { Fp8BlockScaledTensor, Nvfp4OutputBuffers, Nvfp4QuantizeResult } from "./types.ts";

export type Nvfp4KernelName = "typescript" | "cpu-native" | "cuda";

/**
 * Page-locking of host buffers for a kernel that copies to and from a GPU: it then reads inputs
 * and writes outputs in locked buffers by DMA, with no copy through pinned buffers of its own.
 * Locking costs far more than a copy (every page is faulted in and pinned), so lock long-lived
 * buffers once: the converter's pooled read buffers and its staging blocks.
 */
export interface HostMemoryLocking {
  /**
   * Resolves true once the buffer under `view` (the whole view) is locked; false where it cannot
   * be (it overlaps locked memory, or the system refuses), and calls then copy as before.
   */
  lock(view: Uint8Array): Promise<boolean>;
  /** Undoes a lock that resolved true. Call before the buffer is dropped, with no call using it. */
  unlock(view: Uint8Array): void;
}

export interface Nvfp4Kernel {
  readonly name: Nvfp4KernelName;
  /** What exactly runs, e.g. "cpu-native (8 threads)" or "cuda (NVIDIA H100 80GB HBM3, sm_90)". */
  readonly description: string;
  /**
   * How many async calls are worth having in flight at once (a pipeline's queue width): the CUDA
   * pipeline runs several tensors per GPU on several GPUs. Absent: 1, because the CPU kernels
   * already use every core for one tensor.
   */
  readonly concurrency?: number;
  /** Present where locking host buffers saves copies (the CUDA pipeline). */
  readonly hostMemory?: HostMemoryLocking;
  amax(t: Fp8BlockScaledTensor): number;
  quantize(t: Fp8BlockScaledTensor, globalScale: number, out?: Nvfp4OutputBuffers): Nvfp4QuantizeResult;
  amaxAsync(t: Fp8BlockScaledTensor): Promise<number>;
  quantizeAsync(
    t: Fp8BlockScaledTensor,
    globalScale: number,
    out?: Nvfp4OutputBuffers,
  ): Promise<Nvfp4QuantizeResult>;
  /** Releases native resources (device buffers). The kernel must not be used afterwards. */
  dispose(): void;
}
