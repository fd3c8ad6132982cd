/**
 * CPU kernel throughput: amax + quantize of the C++ addon on DeepSeek-sized FP8 tensors, in GB/s of
 * FP8 input, for 1 and 2 threads (or --threads 1,2,4). Checks the bytes against the TypeScript
 * reference once per shape (on a row slice, so the check stays quick).
 *   npx tsx bench/kernel-bench.ts [--threads 1,2] [--reps 7] [--isa auto|generic] [--shapes 7168x2048,...]
 */
import { cpus } from "node:os";
import {
  createCpuNativeKernel,
  fp8BlockAmax,
  loadCpuAddon,
  nvfp4GlobalScale,
  quantizeNvfp4,
} from "../src/nvfp4/index.ts";
import type { Fp8BlockScaledTensor } from "../src/nvfp4/types.ts";
import { gaussianFp8Tensor } from "../test/nvfp4-cases.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const load = loadCpuAddon();
if (!load.ok) throw new Error(load.reason);
const threadCounts = arg("threads", "1,2").split(",").map(Number);
const reps = Number(arg("reps", "7"));
const isa = arg("isa", "auto");
const shapes = arg("shapes", "7168x2048,2048x7168")
  .split(",")
  .map((s) => s.split("x").map(Number));

/** First `rows` rows of t (whole 128-row scale blocks), for a quick reference check. */
function rowSlice(t: Fp8BlockScaledTensor, rows: number): Fp8BlockScaledTensor {
  const scaleCols = Math.ceil(t.cols / t.blockCols);
  return {
    ...t,
    rows,
    data: t.data.subarray(0, rows * t.cols),
    scale: t.scale.subarray(0, Math.ceil(rows / t.blockRows) * scaleCols),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const best = (xs: number[]) => Math.min(...xs);

// The machine may be shared: the best of the repetitions is the kernel's speed, the median shows
// how much other work got in the way.
console.log(`cpu: ${cpus()[0]?.model} (${cpus().length} logical), simd ${isa}, ${reps} reps: best / median`);
for (const [rows, cols] of shapes as Array<[number, number]>) {
  const t = gaussianFp8Tensor(rows + cols, rows, cols);
  const bytes = rows * cols;
  for (const threads of threadCounts) {
    const k = createCpuNativeKernel(load.addon, { threads, simd: isa === "generic" ? "generic" : "auto" });
    const slice = rowSlice(t, 256);
    const ref = quantizeNvfp4(slice, nvfp4GlobalScale(fp8BlockAmax(slice)));
    const got = k.quantize(slice, nvfp4GlobalScale(k.amax(slice)));
    const same =
      Buffer.compare(Buffer.from(ref.packed), Buffer.from(got.packed)) === 0 &&
      Buffer.compare(Buffer.from(ref.blockScales), Buffer.from(got.blockScales)) === 0 &&
      JSON.stringify(ref.stats) === JSON.stringify(got.stats);
    const out = { packed: new Uint8Array(bytes / 2), blockScales: new Uint8Array(bytes / 16) };
    const amaxMs: number[] = [];
    const quantMs: number[] = [];
    for (let i = 0; i < reps + 1; i++) {
      const t0 = performance.now();
      const gs = nvfp4GlobalScale(k.amax(t));
      const t1 = performance.now();
      k.quantize(t, gs, out);
      const t2 = performance.now();
      if (i === 0) continue; // warm-up
      amaxMs.push(t1 - t0);
      quantMs.push(t2 - t1);
    }
    const gbps = (ms: number) => (bytes / (ms * 1e-3) / 1e9).toFixed(2);
    const both = amaxMs.map((a, i) => a + (quantMs[i] as number));
    const show = (xs: number[]) =>
      `${best(xs).toFixed(2)} / ${median(xs).toFixed(2)} ms (${gbps(best(xs))} / ${gbps(median(xs))} GB/s)`;
    console.log(
      `${rows}x${cols} ${k.description}: amax ${show(amaxMs)}, quantize ${show(quantMs)}, both ${show(both)}${same ? "" : "  ** DIFFERS FROM REFERENCE **"}`,
    );
  }
}
