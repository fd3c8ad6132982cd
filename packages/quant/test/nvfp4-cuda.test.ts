/**
 * CUDA kernels vs the TypeScript reference. Runs only where a GPU answers; on CI and dev machines
 * without one it is skipped with the reason. On the GPU machine the same comparison (and the
 * benchmark) runs through scripts/gpu-check.ts, which needs no node_modules.
 */
import { describe, expect, it } from "vitest";
import { createCudaKernel, loadCudaAddon } from "../src/nvfp4/index.ts";
import { adversarialCases, codeSelectionCases, nonFiniteCases } from "./nvfp4-cases.ts";
import { compareNonFinite, compareWithReference } from "./nvfp4-compare.ts";

const load = loadCudaAddon();
const probe = load.ok ? load.addon.probe() : undefined;
const skipReason = !load.ok ? load.reason : probe && !probe.ok ? `no usable GPU: ${probe.error}` : undefined;
if (skipReason) console.warn(`[nvfp4-cuda] SKIPPING CUDA comparison: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  "CUDA kernels are byte-identical to the TypeScript reference",
  () => {
    it("on every adversarial, code-selection and NaN/Inf case", async () => {
      if (!load.ok || !probe) return;
      const kernel = createCudaKernel(load.addon, probe);
      const problems: string[] = [];
      for (const c of adversarialCases()) {
        problems.push(...(await compareWithReference(kernel, c)));
        problems.push(...(await compareWithReference(kernel, c, true)));
      }
      for (const c of codeSelectionCases()) problems.push(...(await compareWithReference(kernel, c)));
      for (const c of nonFiniteCases()) problems.push(...(await compareNonFinite(kernel, c)));
      kernel.dispose();
      expect(problems).toEqual([]);
    });
  },
);
