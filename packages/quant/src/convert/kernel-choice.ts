/**
 * Which NVFP4 kernel a conversion uses. An explicit choice is required (an error if unusable);
 * "auto" takes the fastest usable one among the devices allowed: with gpus 0 the GPU is not even
 * probed. Every kernel gives the same bytes, so this decides speed only.
 */

import type { Nvfp4KernelName } from "../nvfp4/kernel.ts";
import { loadCudaAddon } from "../nvfp4/native-loader.ts";
import { type KernelSelection, selectKernel } from "../nvfp4/select-kernel.ts";
import { ConvertError } from "./errors.ts";
import type { KernelPreference, ResolvedConvertOptions } from "./options.ts";

const KERNEL_NAMES: Record<Exclude<KernelPreference, "auto">, Nvfp4KernelName> = {
  cuda: "cuda",
  cpu: "cpu-native",
  ts: "typescript",
};

export function chooseKernel(o: ResolvedConvertOptions, anythingToQuantize: boolean): KernelSelection {
  const threads = o.workers > 0 ? o.workers : undefined;
  // CUDA runs as the multi-GPU pipeline over GPUs 0..gpus-1 (--kernel cuda alone: one GPU).
  const gpus = Math.max(1, o.gpus);
  if (o.kernel !== "auto") {
    try {
      return selectKernel({ prefer: KERNEL_NAMES[o.kernel], require: true, threads, gpus });
    } catch (error) {
      throw new ConvertError(
        "KERNEL_UNAVAILABLE",
        `--kernel ${o.kernel}: ${(error as Error).message}; choose --kernel auto (the fastest kernel usable here) or run on a host where it is usable`,
      );
    }
  }
  if (triesGpus(o) && anythingToQuantize) return selectKernel({ prefer: "auto", threads, gpus });
  try {
    return selectKernel({ prefer: "cpu-native", require: true, threads });
  } catch (error) {
    const fallback = selectKernel({ prefer: "typescript", require: true });
    return { ...fallback, reason: `${fallback.reason}; skipped cpu-native: ${(error as Error).message}` };
  }
}

/** Whether `chooseKernel` probes the GPUs: --kernel cuda, or auto with --gpus (and anything to quantize). */
function triesGpus(o: ResolvedConvertOptions): boolean {
  return o.kernel === "cuda" || (o.kernel === "auto" && o.gpus > 0);
}

/**
 * Starts creating the CUDA contexts of the GPUs that `chooseKernel` would probe (about 0.3 s on
 * an H100), on a pool thread, so that it overlaps reading the headers and planning (which tells
 * whether anything is quantized at all). Never rejects: a GPU that cannot run is reported by the
 * probe, with its reason.
 */
export function warmUpGpus(o: ResolvedConvertOptions): Promise<void> {
  const load = triesGpus(o) ? loadCudaAddon() : undefined;
  if (load?.ok !== true) return Promise.resolve();
  return load.addon.warmUpAsync(Math.max(1, o.gpus)).then(
    () => undefined,
    () => undefined,
  );
}
