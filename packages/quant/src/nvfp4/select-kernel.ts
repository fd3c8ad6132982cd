/**
 * Picks the fastest usable NVFP4 kernel: CUDA if a GPU answers, else the C++ CPU addon, else the
 * TypeScript reference — and says which and why, so a converter can log it.
 */

import { createCudaPipelineKernel } from "./cuda-pipeline.ts";
import type { Nvfp4Kernel, Nvfp4KernelName } from "./kernel.ts";
import { createCpuNativeKernel, createCudaKernel } from "./native-kernels.ts";
import { DEFAULT_NATIVE_BUILD_DIR, hasCudaPipeline, loadCpuAddon, loadCudaAddon } from "./native-loader.ts";
import { createTypeScriptKernel } from "./typescript-kernel.ts";

export interface SelectKernelOptions {
  /** "auto" (default) tries cuda → cpu-native → typescript; a name tries that one first. */
  prefer?: "auto" | Nvfp4KernelName;
  /** With a named `prefer`: throw instead of falling back when it is not usable. */
  require?: boolean;
  /** CPU worker threads (cpu-native). */
  threads?: number;
  /** CUDA device ordinal (default 0) of the single-GPU kernel. */
  device?: number;
  /**
   * ≥ 1: CUDA runs as the multi-GPU pipeline over GPUs 0..gpus-1 (cuda-pipeline.ts), several
   * tensors in flight per GPU. Absent: the single-GPU kernel on `device`.
   */
  gpus?: number;
  /** Pipeline only: tensors in flight per GPU (default 3). */
  lanesPerGpu?: number;
  /** Where the .node files are; default packages/quant/build. */
  nativeDir?: string;
}

export interface KernelAttempt {
  name: Nvfp4KernelName;
  ok: boolean;
  reason: string;
}

export interface KernelSelection {
  kernel: Nvfp4Kernel;
  /** One line for logs: which kernel and why the faster ones were skipped. */
  reason: string;
  attempts: KernelAttempt[];
}

type Attempt = { kernel: Nvfp4Kernel; reason: string } | { kernel: undefined; reason: string };

function tryCuda(options: SelectKernelOptions): Attempt {
  const load = loadCudaAddon(options.nativeDir ?? DEFAULT_NATIVE_BUILD_DIR);
  if (!load.ok) return { kernel: undefined, reason: load.reason };
  const probe = load.addon.probe(options.device ?? 0);
  if (!probe.ok)
    return { kernel: undefined, reason: `no usable GPU: ${probe.error ?? "unknown CUDA error"}` };
  if (options.gpus === undefined || options.gpus < 1) {
    const kernel = createCudaKernel(load.addon, probe);
    return { kernel, reason: kernel.description };
  }
  if (!hasCudaPipeline(load.addon))
    return { kernel: undefined, reason: `${load.path} has no multi-GPU pipeline (built before it; rebuild)` };
  try {
    const kernel = createCudaPipelineKernel(load.addon, probe, {
      gpus: options.gpus,
      ...(options.lanesPerGpu === undefined ? {} : { lanesPerGpu: options.lanesPerGpu }),
    });
    return { kernel, reason: kernel.description };
  } catch (error) {
    return { kernel: undefined, reason: (error as Error).message };
  }
}

function tryCpu(options: SelectKernelOptions): Attempt {
  const load = loadCpuAddon(options.nativeDir ?? DEFAULT_NATIVE_BUILD_DIR);
  if (!load.ok) return { kernel: undefined, reason: load.reason };
  const kernel = createCpuNativeKernel(
    load.addon,
    options.threads === undefined ? {} : { threads: options.threads },
  );
  return { kernel, reason: kernel.description };
}

const ORDER: Nvfp4KernelName[] = ["cuda", "cpu-native", "typescript"];

export function selectKernel(options: SelectKernelOptions = {}): KernelSelection {
  const prefer = options.prefer ?? "auto";
  const order = prefer === "auto" ? ORDER : [prefer, ...ORDER.filter((n) => n !== prefer)];
  const attempts: KernelAttempt[] = [];
  for (const name of order) {
    const attempt: Attempt =
      name === "cuda"
        ? tryCuda(options)
        : name === "cpu-native"
          ? tryCpu(options)
          : { kernel: createTypeScriptKernel(), reason: "typescript reference (always available)" };
    attempts.push({ name, ok: attempt.kernel !== undefined, reason: attempt.reason });
    if (attempt.kernel !== undefined) {
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.reason}`);
      const reason =
        skipped.length === 0
          ? `using ${attempt.reason}`
          : `using ${attempt.reason}; skipped ${skipped.join("; ")}`;
      return { kernel: attempt.kernel, reason, attempts };
    }
    if (options.require && name === prefer) {
      throw new Error(`NVFP4 kernel "${name}" is not usable: ${attempt.reason}`);
    }
  }
  // Unreachable: the TypeScript kernel always succeeds.
  throw new Error("no NVFP4 kernel available");
}
