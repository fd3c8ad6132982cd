import { describe, expect, it } from "vitest";
import { createCpuNativeKernel, loadCpuAddon } from "../src/nvfp4/index.ts";
import { adversarialCases, codeSelectionCases, nonFiniteCases, randomTensor } from "./nvfp4-cases.ts";
import { compareNonFinite, compareWithReference } from "./nvfp4-compare.ts";

const load = loadCpuAddon();
if (!load.ok) {
  // Visible in the test output: the comparison below is skipped, not passed.
  console.warn(`[nvfp4-native] SKIPPING C++ addon comparison: ${load.reason}`);
}
// Both instruction paths where this CPU has AVX2; only the portable one elsewhere (logged).
const simdModes: Array<"auto" | "generic"> =
  load.ok && load.addon.simd === "avx2" ? ["auto", "generic"] : ["auto"];
if (load.ok && load.addon.simd !== "avx2")
  console.warn("[nvfp4-native] no AVX2 here: only the portable path is tested");

// The reference is plain TypeScript and the cases are many: seconds on a loaded 2-core machine.
describe.skipIf(!load.ok)(
  "C++ CPU addon is byte-identical to the TypeScript reference",
  { timeout: 60_000 },
  () => {
    const addon = load.ok ? load.addon : (undefined as never);
    // 1 thread, 2, and more threads than cores/rows (uneven tiles, idle workers), per SIMD path.
    // minElementsPerThread 1: really split even small tensors (the default would run them on one).
    const kernels = simdModes.flatMap((simd) =>
      [1, 2, 5, 64].map((threads) =>
        createCpuNativeKernel(addon, { threads, minElementsPerThread: 1, simd }),
      ),
    );

    it("on every adversarial case, sync and async, for thread counts 1, 2, 5, 64 and each SIMD path", async () => {
      const problems: string[] = [];
      for (const c of adversarialCases()) {
        for (const k of kernels) problems.push(...(await compareWithReference(k, c)));
        for (const k of kernels.filter((_, i) => i % 4 === 2))
          problems.push(...(await compareWithReference(k, c, true)));
      }
      expect(problems).toEqual([]);
    });

    it("picks every code like the reference's division: all bytes, boundary ulps, any global scale", async () => {
      const problems: string[] = [];
      for (const c of codeSelectionCases()) {
        for (const k of kernels.filter((_, i) => i % 4 < 2))
          problems.push(...(await compareWithReference(k, c)));
      }
      expect(problems).toEqual([]);
    });

    it("on larger random tensors with 128×128 blocks", async () => {
      const problems: string[] = [];
      for (const [seed, rows, cols] of [
        [100, 1024, 1024],
        [101, 520, 2064],
      ] as const) {
        const c = { name: `random ${rows}x${cols}`, tensor: randomTensor(seed, rows, cols) };
        for (const k of kernels.filter((_, i) => i % 4 === 0 || i % 4 === 3)) {
          problems.push(...(await compareWithReference(k, c)));
        }
      }
      expect(problems).toEqual([]);
    });

    it("reports NaN/Inf like the reference (kind, lowest index) for any thread count", async () => {
      const problems: string[] = [];
      for (const c of nonFiniteCases())
        for (const k of kernels) problems.push(...(await compareNonFinite(k, c)));
      expect(problems).toEqual([]);
    });

    it("writes into caller-owned buffers", () => {
      const k = kernels[1];
      const t = randomTensor(7, 32, 64);
      const packed = new Uint8Array(1024);
      const blockScales = new Uint8Array(128);
      const r = k?.quantize(t, 1, { packed, blockScales });
      expect(r?.packed).toBe(packed);
      expect(r?.blockScales).toBe(blockScales);
    });

    it("runs concurrent async calls on the shared worker pool", async () => {
      const k = createCpuNativeKernel(addon, { threads: 2, minElementsPerThread: 1 });
      const cases = adversarialCases().slice(0, 10);
      const problems = (await Promise.all(cases.map((c) => compareWithReference(k, c, true)))).flat();
      expect(problems).toEqual([]);
    });
  },
);
