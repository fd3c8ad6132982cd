/**
 * Nvfp4Kernel wrappers around the C++ CPU addon and the CUDA addon. They validate in TypeScript
 * (same checks and typed errors as the reference), then call native code.
 */
import { NonFiniteValueError } from "./errors.ts";
import type { Nvfp4Kernel } from "./kernel.ts";
import type {
  CpuAddon,
  CudaAddon,
  CudaProbe,
  NativeAmaxResult,
  NativeQuantizeStats,
} from "./native-loader.ts";
import type { Fp8BlockScaledTensor, Nvfp4OutputBuffers, Nvfp4QuantizeResult } from "./types.ts";
import {
  allocateOutputs,
  validateFp8BlockScaledTensor,
  validateGlobalScale,
  validateNvfp4Shape,
} from "./validate.ts";

/** Shared with the CUDA pipeline kernel (cuda-pipeline.ts). */
export function checkAmax(t: Fp8BlockScaledTensor, r: NativeAmaxResult): number {
  if (r.nonFiniteIndex >= 0)
    throw new NonFiniteValueError(r.nonFiniteKind === "nan" ? "nan" : "inf", r.nonFiniteIndex, t.cols);
  return r.amax;
}

export function toResult(
  t: Fp8BlockScaledTensor,
  outputs: { packed: Uint8Array; blockScales: Uint8Array },
  s: NativeQuantizeStats,
): Nvfp4QuantizeResult {
  if (s.nonFiniteIndex >= 0)
    throw new NonFiniteValueError(s.nonFiniteKind === "nan" ? "nan" : "inf", s.nonFiniteIndex, t.cols);
  return {
    ...outputs,
    stats: {
      sumSqError: s.sumSqError,
      sumSqRef: s.sumSqRef,
      maxAbsError: s.maxAbsError,
      count: t.rows * t.cols,
    },
  };
}

export function prepareQuantize(t: Fp8BlockScaledTensor, gs: number, out: Nvfp4OutputBuffers | undefined) {
  validateNvfp4Shape(t);
  validateGlobalScale(gs);
  return allocateOutputs(t, out);
}

export interface CpuKernelOptions {
  /** Worker threads over rows; default: all hardware threads. Results do not depend on it. */
  threads?: number;
  /**
   * Use fewer threads when each would get fewer elements than this (default 65536: handing out
   * work costs more than quantizing a small tensor). Tests set 1 to force the split.
   */
  minElementsPerThread?: number;
  /**
   * "auto" (default): the AVX2 code where the CPU has it. "generic": the portable code (tests and
   * benchmarks compare the two). Results do not depend on it.
   */
  simd?: "auto" | "generic";
}

export function createCpuNativeKernel(addon: CpuAddon, options: CpuKernelOptions = {}): Nvfp4Kernel {
  const threads = Math.max(1, Math.floor(options.threads ?? addon.hardwareConcurrency));
  const minElements = Math.max(1, Math.floor(options.minElementsPerThread ?? 65536));
  const simd = options.simd ?? "auto";
  const isa = simd === "generic" ? "generic" : addon.simd;
  const args = (t: Fp8BlockScaledTensor) =>
    [t.data, t.rows, t.cols, t.scale, t.blockRows, t.blockCols] as const;
  return {
    name: "cpu-native",
    description: `cpu-native (${threads} thread${threads === 1 ? "" : "s"}, ${isa})`,
    amax(t) {
      validateFp8BlockScaledTensor(t);
      return checkAmax(t, addon.amax(...args(t), threads, minElements, simd));
    },
    quantize(t, gs, out) {
      const o = prepareQuantize(t, gs, out);
      return toResult(
        t,
        o,
        addon.quantize(...args(t), gs, o.packed, o.blockScales, threads, minElements, simd),
      );
    },
    async amaxAsync(t) {
      validateFp8BlockScaledTensor(t);
      return checkAmax(t, await addon.amaxAsync(...args(t), threads, minElements, simd));
    },
    async quantizeAsync(t, gs, out) {
      const o = prepareQuantize(t, gs, out);
      return toResult(
        t,
        o,
        await addon.quantizeAsync(...args(t), gs, o.packed, o.blockScales, threads, minElements, simd),
      );
    },
    dispose() {},
  };
}

export function describeCudaDevice(p: CudaProbe): string {
  return `${p.name ?? "unknown GPU"}, sm_${(p.computeCapability ?? "?").replace(".", "")}`;
}

/** Host-memory interface: each call copies in, runs amax/quantize kernels, copies out. */
export function createCudaKernel(addon: CudaAddon, probe: CudaProbe): Nvfp4Kernel {
  const args = (t: Fp8BlockScaledTensor) =>
    [t.data, t.rows, t.cols, t.scale, t.blockRows, t.blockCols] as const;
  return {
    name: "cuda",
    description: `cuda (${describeCudaDevice(probe)})`,
    amax(t) {
      validateFp8BlockScaledTensor(t);
      return checkAmax(t, addon.amax(...args(t)));
    },
    quantize(t, gs, out) {
      const o = prepareQuantize(t, gs, out);
      return toResult(t, o, addon.quantize(...args(t), gs, o.packed, o.blockScales));
    },
    async amaxAsync(t) {
      validateFp8BlockScaledTensor(t);
      return checkAmax(t, await addon.amaxAsync(...args(t)));
    },
    async quantizeAsync(t, gs, out) {
      const o = prepareQuantize(t, gs, out);
      return toResult(t, o, await addon.quantizeAsync(...args(t), gs, o.packed, o.blockScales));
    },
    dispose() {
      addon.releaseWorkspace();
    },
  };
}
