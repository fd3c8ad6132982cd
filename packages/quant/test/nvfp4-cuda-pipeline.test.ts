/**
 * The multi-GPU CUDA pipeline (src/nvfp4/cuda-pipeline.ts, native/cuda/pipeline.h). Without a GPU:
 * asking for it falls back to the CPU kernel and says why. With one (the GPU machine): the same
 * bytes as the TypeScript reference on every adversarial case, many concurrent calls spread
 * over every GPU, each giving the bytes of the CPU kernel, and a quantize call after its tensor's
 * amax call running from the device copy that call kept (one upload for both passes).
 */
import { describe, expect, it } from "vitest";
import {
  createCpuNativeKernel,
  createCudaPipelineKernel,
  hasCudaPipeline,
  loadCpuAddon,
  loadCudaAddon,
  nvfp4GlobalScale,
  selectKernel,
} from "../src/nvfp4/index.ts";
import { adversarialCases, nonFiniteCases, randomTensor } from "./nvfp4-cases.ts";
import { compareNonFinite, compareWithReference } from "./nvfp4-compare.ts";

const load = loadCudaAddon();
const probe = load.ok ? load.addon.probe() : undefined;
const skipReason = !load.ok
  ? load.reason
  : probe && !probe.ok
    ? `no usable GPU: ${probe.error}`
    : !hasCudaPipeline(load.addon)
      ? "fp4kit_cuda.node has no pipeline"
      : undefined;
if (skipReason) console.warn(`[nvfp4-cuda-pipeline] SKIPPING GPU comparisons: ${skipReason}`);
const gpuCount = probe?.ok ? (probe.deviceCount ?? 1) : 0;

describe("selectKernel({ gpus })", () => {
  it("uses the pipeline over that many GPUs, or falls back and says why", () => {
    const s = selectKernel({ gpus: 2, threads: 2 });
    const cuda = s.attempts.find((a) => a.name === "cuda");
    if (gpuCount >= 2) {
      expect(s.kernel.name).toBe("cuda");
      expect(s.kernel.description).toMatch(/^cuda pipeline \(2 × /);
      expect(s.kernel.concurrency).toBe(6);
    } else {
      expect(s.kernel.name).not.toBe("cuda");
      expect(cuda?.ok).toBe(false);
      // Not built, no usable driver, or too few GPUs: the reason is CUDA's own.
      expect(cuda?.reason).toMatch(/not built|no usable GPU|asked for 2 GPUs but|no multi-GPU pipeline/);
    }
    s.kernel.dispose();
  });
});

describe.skipIf(skipReason !== undefined)("CUDA pipeline", () => {
  const pipeline = () => {
    if (!load.ok || !probe || !hasCudaPipeline(load.addon)) throw new Error(skipReason);
    return createCudaPipelineKernel(load.addon, probe, { gpus: gpuCount });
  };

  it("is byte-identical to the TypeScript reference on every adversarial and NaN/Inf case", async () => {
    const kernel = pipeline();
    const problems: string[] = [];
    for (const c of adversarialCases()) {
      problems.push(...(await compareWithReference(kernel, c)));
      problems.push(...(await compareWithReference(kernel, c, true)));
    }
    for (const c of nonFiniteCases()) problems.push(...(await compareNonFinite(kernel, c)));
    kernel.dispose();
    expect(problems).toEqual([]);
  });

  it("spreads concurrent calls over every GPU and returns each call's own bytes", async () => {
    const cpu = loadCpuAddon();
    if (!cpu.ok) throw new Error(cpu.reason);
    const reference = createCpuNativeKernel(cpu.addon);
    const kernel = pipeline();
    const tensors = Array.from({ length: 4 * kernel.concurrency }, (_, i) =>
      randomTensor(100 + i, 256 + 128 * (i % 3), 1024),
    );
    const results = await Promise.all(
      tensors.map(async (t) => kernel.quantizeAsync(t, nvfp4GlobalScale(await kernel.amaxAsync(t)))),
    );
    for (const [i, t] of tensors.entries()) {
      const want = reference.quantize(t, nvfp4GlobalScale(reference.amax(t)));
      expect(results[i]).toEqual(want);
    }
    const counters = kernel.counters();
    kernel.dispose();
    expect(counters).toHaveLength(gpuCount);
    for (const c of counters) expect(c.quantizeCalls).toBeGreaterThan(0);
    // Every quantize call ran from its amax call's copy: each tensor was uploaded once.
    expect(counters.reduce((s, c) => s + c.parkedHits, 0)).toBe(tensors.length);
    const uploaded = tensors.reduce((s, t) => s + t.data.length + t.scale.byteLength, 0);
    expect(counters.reduce((s, c) => s + c.inputBytes, 0)).toBe(uploaded);
  });

  it("uploads again for another tensor object, and never uses a kept copy for other bytes", async () => {
    const cpu = loadCpuAddon();
    if (!cpu.ok) throw new Error(cpu.reason);
    const reference = createCpuNativeKernel(cpu.addon);
    const kernel = pipeline();
    const t = randomTensor(7, 256, 1024);
    const gs = nvfp4GlobalScale(await kernel.amaxAsync(t));
    // Other bytes in another object: uploaded, not taken from t's kept copy.
    const other = { ...t, data: t.data.map((b) => ((b & 0x7f) === 0x7e ? b : b ^ 1)) };
    expect(await kernel.quantizeAsync(other, gs)).toEqual(reference.quantize(other, gs));
    expect(kernel.counters().reduce((s, c) => s + c.parkedHits, 0)).toBe(0);
    expect(await kernel.quantizeAsync(t, gs)).toEqual(reference.quantize(t, gs));
    expect(kernel.counters().reduce((s, c) => s + c.parkedHits, 0)).toBe(1);
    kernel.dispose();
  });

  it("copies by DMA from and into page-locked buffers, with the same bytes, and unlocks them", async () => {
    const cpu = loadCpuAddon();
    if (!cpu.ok) throw new Error(cpu.reason);
    const reference = createCpuNativeKernel(cpu.addon);
    const kernel = pipeline();
    const locking = kernel.hostMemory;
    if (locking === undefined) throw new Error("the CUDA pipeline offers no host-memory locking");
    // One arena for every input and output, as the converter's staging blocks are one buffer.
    const t = randomTensor(512, 2048, 128);
    const n = t.rows * t.cols;
    const arena = new Uint8Array(n + n / 2 + n / 16);
    arena.set(t.data);
    const locked = { ...t, data: arena.subarray(0, n) };
    const out = { packed: arena.subarray(n, n + n / 2), blockScales: arena.subarray(n + n / 2) };
    expect(await locking.lock(arena)).toBe(true);
    // The same memory twice: CUDA refuses, and the lock says so instead of failing.
    expect(await locking.lock(arena)).toBe(false);
    const gs = nvfp4GlobalScale(await kernel.amaxAsync(locked));
    expect(gs).toBe(nvfp4GlobalScale(reference.amax(t)));
    const result = await kernel.quantizeAsync(locked, gs, out);
    const want = reference.quantize(t, gs);
    expect(result).toEqual(want);
    expect(Buffer.compare(out.packed, want.packed)).toBe(0);
    expect(Buffer.compare(out.blockScales, want.blockScales)).toBe(0);
    locking.unlock(arena);
    expect(() => locking.unlock(arena)).toThrow(/unlocking host memory/);
    kernel.dispose();
  });
});
