import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { warmUpGpus } from "../src/convert/kernel-choice.ts";
import { resolveConvertOptions } from "../src/convert/options.ts";
import { createTypeScriptKernel, loadCpuAddon, loadCudaAddon, selectKernel } from "../src/nvfp4/index.ts";
import { goldenTensor } from "./nvfp4-cases.ts";

describe("selectKernel", () => {
  it("falls back to TypeScript with reasons when no addon is built", () => {
    const empty = mkdtempSync(join(tmpdir(), "fp4kit-no-native-"));
    const s = selectKernel({ nativeDir: empty });
    expect(s.kernel.name).toBe("typescript");
    expect(s.attempts.map((a) => [a.name, a.ok])).toEqual([
      ["cuda", false],
      ["cpu-native", false],
      ["typescript", true],
    ]);
    expect(s.reason).toContain("fp4kit_cuda.node not built");
    expect(s.reason).toContain("fp4kit_cpu.node not built");
  });

  it("honours prefer and require", () => {
    expect(selectKernel({ prefer: "typescript" }).kernel.name).toBe("typescript");
    const empty = mkdtempSync(join(tmpdir(), "fp4kit-no-native-"));
    expect(() => selectKernel({ prefer: "cpu-native", require: true, nativeDir: empty })).toThrow(
      /not usable/,
    );
    expect(selectKernel({ prefer: "cpu-native", nativeDir: empty }).kernel.name).toBe("typescript");
  });

  it("picks the best available kernel on this machine and says why", () => {
    const s = selectKernel({ threads: 2 });
    const cuda = loadCudaAddon();
    const gpu = cuda.ok && cuda.addon.probe().ok;
    const expected = gpu ? "cuda" : loadCpuAddon().ok ? "cpu-native" : "typescript";
    expect(s.kernel.name).toBe(expected);
    if (cuda.ok && !gpu) expect(s.reason).toMatch(/cuda: no usable GPU: /);
    if (expected === "cpu-native")
      expect(s.kernel.description).toMatch(/^cpu-native \(2 threads, (avx2|generic)\)$/);
    console.info(`[select-kernel] ${s.reason}`);
    // Whatever was picked computes the golden bytes.
    const ref = createTypeScriptKernel().quantize(goldenTensor(), 2 ** -8);
    expect([...s.kernel.quantize(goldenTensor(), 2 ** -8).packed]).toEqual([...ref.packed]);
  });
});

describe("warmUpGpus", () => {
  it("creates the GPUs' contexts ahead of the probe, and resolves whether or not they can run", async () => {
    const options = resolveConvertOptions({ src: "/src", dst: "/dst" });
    await expect(warmUpGpus({ ...options, gpus: 1 })).resolves.toBeUndefined();
    await expect(warmUpGpus({ ...options, kernel: "cuda" })).resolves.toBeUndefined();
    const cuda = loadCudaAddon();
    if (!cuda.ok) return;
    // The addon's own call: done where a GPU answers the probe, CUDA's reason where none does.
    if (cuda.addon.probe().ok) await expect(cuda.addon.warmUpAsync(1)).resolves.toEqual({});
    else await expect(cuda.addon.warmUpAsync(1)).rejects.toThrow(/^CUDA: /);
  });
});
