/**
 * Loads the native addons from packages/quant/build/ (written by scripts/build-native.mjs) and
 * explains why when one cannot be used. Nothing here throws: a missing addon is a fallback reason.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * packages/quant/build, or $FP4KIT_NATIVE_DIR: bundles for the GPU machine (scripts/device-bench.ts)
 * carry the addons elsewhere.
 */
export const DEFAULT_NATIVE_BUILD_DIR =
  process.env.FP4KIT_NATIVE_DIR ?? fileURLToPath(new URL("../../build/", import.meta.url));

export interface NativeAmaxResult {
  amax: number;
  nonFiniteIndex: number;
  nonFiniteKind: "" | "nan" | "inf";
}

export interface NativeQuantizeStats {
  sumSqError: number;
  sumSqRef: number;
  maxAbsError: number;
  nonFiniteIndex: number;
  nonFiniteKind: "" | "nan" | "inf";
}

/** A tensor as the addons take it: FP8 bytes, shape, float32 block scales and their block shape. */
export type TensorArgs = [
  data: Uint8Array,
  rows: number,
  cols: number,
  scale: Float32Array,
  blockRows: number,
  blockCols: number,
];

/** A quantize call's tensor, global scale and caller-owned outputs (packed codes, block scales). */
type QuantizeArgs = [...TensorArgs, gs: number, packed: Uint8Array, blockScales: Uint8Array];

/** simd "generic" runs the portable code even where AVX2 is available (tests compare both). */
type CpuThreadArgs = [threads: number, minElementsPerThread: number, simd?: "auto" | "generic"];

/** build/fp4kit_cpu.node (native/cpu/addon.cc). */
export interface CpuAddon {
  kind: "cpu-native";
  hardwareConcurrency: number;
  /** The code "auto" runs on this CPU: "avx2" (x86-64 with AVX2) or "generic". */
  simd: "avx2" | "generic";
  amax(...args: [...TensorArgs, ...CpuThreadArgs]): NativeAmaxResult;
  quantize(...args: [...QuantizeArgs, ...CpuThreadArgs]): NativeQuantizeStats;
  amaxAsync(...args: [...TensorArgs, ...CpuThreadArgs]): Promise<NativeAmaxResult>;
  quantizeAsync(...args: [...QuantizeArgs, ...CpuThreadArgs]): Promise<NativeQuantizeStats>;
}

export interface CudaProbe {
  ok: boolean;
  /** CUDA's error string when !ok, e.g. "CUDA driver version is insufficient for CUDA runtime version". */
  error?: string;
  deviceCount?: number;
  device?: number;
  name?: string;
  computeCapability?: string;
  multiProcessors?: number;
  totalMemory?: number;
}

/**
 * build/fp4kit_cuda.node (native/cuda/addon.cc). Device pointers are BigInts. The kernels' benchmark
 * harness is not part of it: bench/cuda-bench-addon.ts.
 */
export interface CudaAddon {
  kind: "cuda";
  probe(device?: number): CudaProbe;
  /** Creates the CUDA contexts of GPUs 0..gpus-1 on a pool thread; rejects with CUDA's reason. */
  warmUpAsync(gpus: number): Promise<Record<string, never>>;
  amax(...args: TensorArgs): NativeAmaxResult;
  quantize(...args: QuantizeArgs): NativeQuantizeStats;
  amaxAsync(...args: TensorArgs): Promise<NativeAmaxResult>;
  quantizeAsync(...args: QuantizeArgs): Promise<NativeQuantizeStats>;
  /** Frees the addon's reusable device workspace. */
  releaseWorkspace(): void;
  // Low-level device memory API for a pinned-buffer / multi-stream pipeline built on top.
  deviceAlloc(bytes: number): bigint;
  deviceFree(ptr: bigint): void;
  copyToDevice(ptr: bigint, src: ArrayBufferView): void;
  copyFromDevice(dst: ArrayBufferView, ptr: bigint): void;
  /** Kernels on device-resident buffers (16-byte aligned). Same results as amax/quantize. */
  amaxDevice(
    data: bigint,
    rows: number,
    cols: number,
    scale: bigint,
    blockRows: number,
    blockCols: number,
  ): NativeAmaxResult;
  quantizeDevice(
    data: bigint,
    rows: number,
    cols: number,
    scale: bigint,
    blockRows: number,
    blockCols: number,
    gs: number,
    packed: bigint,
    blockScales: bigint,
  ): NativeQuantizeStats;
}

/** One GPU of a multi-GPU pipeline (native/cuda/pipeline.h). */
export interface CudaPipelineGpu {
  device: number;
  name: string;
}

/** What one GPU of a pipeline did so far; stage seconds are summed over its lanes. */
export interface CudaPipelineCounters extends CudaPipelineGpu {
  amaxCalls: number;
  quantizeCalls: number;
  /** FP8 data + float32 scales uploaded. */
  inputBytes: number;
  /** Quantize calls that ran from the device copy their amax call kept (no second upload). */
  parkedHits: number;
  uploadSeconds: number;
  kernelSeconds: number;
  downloadSeconds: number;
}

/** Opaque native pipeline; only the addon's pipeline* functions understand it. */
export type CudaPipelineHandle = { readonly __brand: "CudaPipelineHandle" };
/** `id` > 0: an amax call keeps the tensor's device copy under it; a quantize call uses it. */
type PipelineQuantizeArgs = [...QuantizeArgs, handle: CudaPipelineHandle, id?: number];

/** Which GPU ran a pipeline call. */
type OnDevice = { device: number };

/**
 * The multi-GPU pipeline functions of build/fp4kit_cuda.node (native/cuda/pipeline_bindings.cc).
 * An addon built before them lacks these; `hasCudaPipeline` tells.
 */
export interface CudaPipelineAddon {
  pipelineOpen(
    gpus: number,
    lanesPerGpu: number,
  ): { handle: CudaPipelineHandle; gpus: CudaPipelineGpu[]; lanesPerGpu: number };
  /** In-flight calls finish; GPU buffers are freed after the last one. */
  pipelineClose(handle: CudaPipelineHandle): void;
  pipelineCounters(handle: CudaPipelineHandle): CudaPipelineCounters[];
  pipelineAmax(
    ...args: [...TensorArgs, handle: CudaPipelineHandle, id?: number]
  ): NativeAmaxResult & OnDevice;
  pipelineAmaxAsync(
    ...args: [...TensorArgs, handle: CudaPipelineHandle, id?: number]
  ): Promise<NativeAmaxResult & OnDevice>;
  pipelineQuantize(...args: PipelineQuantizeArgs): NativeQuantizeStats & OnDevice;
  pipelineQuantizeAsync(...args: PipelineQuantizeArgs): Promise<NativeQuantizeStats & OnDevice>;
  /** Page-locks the view's bytes for every GPU (on the libuv pool); rejects with CUDA's reason. */
  hostRegisterAsync(view: Uint8Array): Promise<Record<string, never>>;
  /** Undoes hostRegisterAsync on the same view; throws with CUDA's reason. */
  hostUnregister(view: Uint8Array): void;
}

export function hasCudaPipeline(addon: CudaAddon): addon is CudaAddon & CudaPipelineAddon {
  return typeof (addon as Partial<CudaPipelineAddon>).pipelineOpen === "function";
}

export type AddonLoad<T> = { ok: true; addon: T; path: string } | { ok: false; reason: string };

interface BuildReport {
  cpu?: { ok: boolean; reason?: string };
  cuda?: { ok: boolean; reason?: string };
}

function readBuildReport(dir: string): BuildReport | undefined {
  try {
    return JSON.parse(readFileSync(resolve(dir, "native-build.json"), "utf8")) as BuildReport;
  } catch {
    return undefined;
  }
}

/**
 * Requires the addon `file` from `dir`; `notBuilt` tells, after "<file> not built", how it comes to be
 * missing or how to build it.
 */
export function requireNativeAddon<T>(dir: string, file: string, notBuilt: () => string): AddonLoad<T> {
  const path = resolve(dir, file);
  if (!existsSync(path)) return { ok: false, reason: `${file} not built${notBuilt()}` };
  try {
    const require = createRequire(import.meta.url);
    return { ok: true, addon: require(path) as T, path };
  } catch (error) {
    return { ok: false, reason: `${file} failed to load: ${(error as Error).message}` };
  }
}

function loadAddon<T>(dir: string, file: string, which: "cpu" | "cuda"): AddonLoad<T> {
  return requireNativeAddon<T>(dir, file, () => {
    const report = readBuildReport(dir)?.[which];
    const firstLine = report?.reason?.split("\n")[0];
    const details = report?.reason?.includes("\n") ? " (details in build/native-build.json)" : "";
    return report && !report.ok && firstLine
      ? `: ${firstLine}${details}`
      : " (run `npm run build -w @fp4kit/quant`)";
  });
}

const cache = new Map<string, AddonLoad<unknown>>();

function cached<T>(key: string, load: () => AddonLoad<T>): AddonLoad<T> {
  let hit = cache.get(key) as AddonLoad<T> | undefined;
  if (hit === undefined) {
    hit = load();
    cache.set(key, hit);
  }
  return hit;
}

export function loadCpuAddon(dir = DEFAULT_NATIVE_BUILD_DIR): AddonLoad<CpuAddon> {
  return cached(`cpu:${dir}`, () => loadAddon<CpuAddon>(dir, "fp4kit_cpu.node", "cpu"));
}

export function loadCudaAddon(dir = DEFAULT_NATIVE_BUILD_DIR): AddonLoad<CudaAddon> {
  return cached(`cuda:${dir}`, () => loadAddon<CudaAddon>(dir, "fp4kit_cuda.node", "cuda"));
}
