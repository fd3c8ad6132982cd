/**
 * What `npm run build` leaves in build/. The CUDA addon conversions load carries no benchmark
 * harness: that is fp4kit_cuda_bench.node, built only by `npm run build:bench`. Loading an addon
 * touches no GPU, so this runs wherever nvcc is; without nvcc the build makes no CUDA addon and the
 * test is skipped with that reason.
 */
import { describe, expect, it } from "vitest";
import { findNvcc } from "../scripts/find-nvcc.mjs";
import { loadCudaAddon } from "../src/nvfp4/index.ts";

const nvcc = findNvcc();
if (!nvcc) console.warn("[native-build] SKIPPING: nvcc not found, so the build makes no fp4kit_cuda.node");

describe.skipIf(!nvcc)("build/fp4kit_cuda.node", () => {
  it("has the kernels and no benchmark", () => {
    const load = loadCudaAddon();
    if (!load.ok) throw new Error(`nvcc is at ${nvcc}, but ${load.reason}`);
    expect(typeof load.addon.quantize).toBe("function");
    expect(Object.keys(load.addon)).not.toContain("benchmark");
  });
});
