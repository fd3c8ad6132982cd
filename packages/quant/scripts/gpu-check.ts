/**
 * GPU check, run on the device machine (which has no Node toolchain): bundle it first with
 *   npm run gpu-check:bundle -w @fp4kit/quant      (→ build/gpu-check.mjs, self-contained)
 * which also builds the kernels' benchmark harness, build/fp4kit_cuda_bench.node (`build:bench`;
 * the default build leaves it out of fp4kit_cuda.node), then run
 *   node build/gpu-check.mjs --native-dir build --work /tmp/w --out $OUT
 * Through the `device` tool (the GPU machine has no Node): `xz -6 -c /usr/bin/node > .device/node.xz`
 * at the repo root, carry [".device/node.xz", "packages/quant/build"], and run from the repo root:
 *   T=$(mktemp -d); xz -dc .device/node.xz > $T/node; chmod +x $T/node; cd packages/quant &&
 *   $T/node build/gpu-check.mjs --native-dir build --work $T/w --out $OUT &&
 *   python3 scripts/gpu-bench-torch.py --work $T/w --out $OUT
 * --compare-native-dirs before=build/baseline,...: other builds of the CUDA addon (the previous
 * kernel, say, built from git HEAD into that folder with `npm run build && npm run build:bench`, so
 * that it holds fp4kit_cuda.node and fp4kit_cuda_bench.node), checked and timed in the same run.
 * --time-native-dirs before=build/baseline,...: builds timed only (their outputs follow an earlier
 * definition, e.g. of the error statistics, so they are not compared).
 *
 * 1. Byte-equality of the CUDA kernels against the TypeScript reference on every adversarial case
 *    and every code-selection case (all bytes, boundary ulps, any global scale; sync, async, NaN/Inf
 *    reporting), through the single-call API and the multi-GPU pipeline (one GPU), against the C++
 *    addon on DeepSeek-V4-sized tensors, and of the low-level device-pointer API.
 * 2. Kernel throughput (GB/s of FP8 input) on DeepSeek-V4-like shapes, the main build timed twice
 *    (the spread says what is noise), plus 5 expert matrices stacked: 110 MB, more than the H100's
 *    50 MB L2, so that pass cannot be served from L2 between launches as the single shapes may be.
 * 3. Writes those tensors and the CUDA outputs to --work for scripts/gpu-bench-torch.py, which
 *    redoes the math in plain PyTorch, compares bytes and times it.
 * Results: $OUT/gpu-check.json. Exit code 1 if any byte differs.
 * --simulate-with-cpu: dry run of this script on a machine without a GPU (the C++ addon stands in
 * for CUDA; no device API, no kernel timings) so the script itself is tested before device time.
 * Both CUDA addons are loaded all the same (loading touches no GPU).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CudaBenchAddon, loadCudaBenchAddon } from "../bench/cuda-bench-addon.ts";
import {
  createCpuNativeKernel,
  createCudaKernel,
  createCudaPipelineKernel,
  fp8BlockAmax,
  hasCudaPipeline,
  loadCpuAddon,
  loadCudaAddon,
  nvfp4GlobalScale,
  quantizeNvfp4,
  relativeRmsError,
} from "../src/nvfp4/index.ts";
import type { Fp8BlockScaledTensor, Nvfp4QuantizeResult } from "../src/nvfp4/types.ts";
import {
  adversarialCases,
  codeSelectionCases,
  gaussianFp8Tensor,
  nonFiniteCases,
  randomTensor,
} from "../test/nvfp4-cases.ts";
import { compareNonFinite, compareWithReference } from "../test/nvfp4-compare.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const nativeDir = arg("native-dir", "build");
const workDir = arg("work", "/tmp/fp4kit-gpu-check");
const outDir = arg("out", process.env.OUT ?? ".");
const iterations = Number(arg("iterations", "20"));
mkdirSync(workDir, { recursive: true });
mkdirSync(outDir, { recursive: true });

const log = (msg: string) => console.log(`[gpu-check] ${msg}`);
const equalBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  ) === 0;

const sameResult = (a: Nvfp4QuantizeResult, b: Nvfp4QuantizeResult) =>
  equalBytes(a.packed, b.packed) &&
  equalBytes(a.blockScales, b.blockScales) &&
  (["sumSqError", "sumSqRef", "maxAbsError", "count"] as const).every((k) =>
    Object.is(a.stats[k], b.stats[k]),
  );

const simulate = process.argv.includes("--simulate-with-cpu");
const cpuLoad = loadCpuAddon(nativeDir);
const cpuKernel = cpuLoad.ok ? createCpuNativeKernel(cpuLoad.addon) : undefined;
const cudaLoad = loadCudaAddon(nativeDir);
if (!cudaLoad.ok) throw new Error(cudaLoad.reason);
const cuda = cudaLoad.addon;
const benchLoad = loadCudaBenchAddon(nativeDir);
if (!benchLoad.ok) throw new Error(benchLoad.reason);
const cudaBench = benchLoad.addon;
const probe = simulate ? { ok: true, name: "simulated by cpu-native" } : cuda.probe(0);
log(`probe: ${JSON.stringify(probe)}`);
if (!probe.ok) throw new Error(`no usable GPU: ${probe.error}`);
if (simulate && !cpuKernel) throw new Error("--simulate-with-cpu needs the C++ addon");
const kernel = simulate
  ? createCpuNativeKernel(cpuLoad.ok ? cpuLoad.addon : (undefined as never), {
      threads: 3,
      minElementsPerThread: 1,
    })
  : createCudaKernel(cuda, probe);
const problems: string[] = [];
const loadBuilds = (option: string) =>
  simulate
    ? []
    : arg(option, "")
        .split(",")
        .filter(Boolean)
        .flatMap((spec) => {
          // A build that cannot be used is reported and skipped: it must not cost the main check.
          const [label, dir] = spec.split("=") as [string, string];
          const load = loadCudaAddon(dir);
          const bench = loadCudaBenchAddon(dir);
          const p = load.ok ? load.addon.probe(0) : undefined;
          if (!load.ok || !bench.ok || !p?.ok) {
            log(`${label}: SKIPPED (${!load.ok ? load.reason : !bench.ok ? bench.reason : p?.error})`);
            return [];
          }
          return [{ label, bench: bench.addon, kernel: createCudaKernel(load.addon, p) }];
        });
const compareBuilds = loadBuilds("compare-native-dirs");
const timedBuilds = loadBuilds("time-native-dirs");

// --profile-only: one quantize of one DeepSeek-sized tensor, for `ncu` (no checks);
// --profile-shape ROWSxCOLS (default 3072x7168) and --profile-e8m0 (power-of-two block scales).
if (process.argv.includes("--profile-only")) {
  const [rows, cols] = arg("profile-shape", "3072x7168").split("x").map(Number) as [number, number];
  const t = gaussianFp8Tensor(5, rows, cols, 128, process.argv.includes("--profile-e8m0"));
  const gs = nvfp4GlobalScale(kernel.amax(t));
  cudaBench.benchmark(t.data, t.rows, t.cols, t.scale, t.blockRows, t.blockCols, gs, 1);
  process.exit(0);
}

// 1a. Adversarial cases vs the TypeScript reference.
let t0 = performance.now();
const cases = [
  ...adversarialCases(),
  { name: "random 1024x2048", tensor: randomTensor(77, 1024, 2048) },
  ...codeSelectionCases(),
];
for (const c of cases) {
  problems.push(...(await compareWithReference(kernel, c)));
  problems.push(...(await compareWithReference(kernel, c, true)));
}
for (const c of nonFiniteCases()) problems.push(...(await compareNonFinite(kernel, c)));
log(
  `${cases.length} adversarial and code-selection cases + ${nonFiniteCases().length} NaN/Inf cases vs TypeScript: ${problems.length === 0 ? "IDENTICAL" : `${problems.length} problems`} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
// The same cases through the multi-GPU pipeline (on one GPU) and through every other build.
const pipeline =
  !simulate && hasCudaPipeline(cuda) ? createCudaPipelineKernel(cuda, probe, { gpus: 1 }) : undefined;
for (const [label, k] of [
  ...(pipeline ? [["pipeline", pipeline] as const] : []),
  ...compareBuilds.map((b) => [b.label, b.kernel] as const),
]) {
  t0 = performance.now();
  const before = problems.length;
  for (const c of cases) problems.push(...(await compareWithReference(k, c, label === "pipeline")));
  for (const c of nonFiniteCases()) problems.push(...(await compareNonFinite(k, c)));
  log(
    `${label}: same cases vs TypeScript: ${problems.length === before ? "IDENTICAL" : `${problems.length - before} problems`} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}

// amax alone on shapes whose cols are not a multiple of 16 (the generic flat kernel).
for (const [seed, rows, cols, br, bc] of [
  [30, 37, 40, 128, 128],
  [31, 129, 1000, 128, 128],
  [32, 5, 7, 2, 3],
  [33, 1, 1, 1, 1],
] as const) {
  const t = randomTensor(seed, rows, cols, br, bc);
  const ref = fp8BlockAmax(t);
  const got = kernel.amax(t);
  if (!Object.is(ref, got)) problems.push(`amax ${rows}x${cols}: ${got} != reference ${ref}`);
  t.data[t.data.length - 1] = 0x7f;
  if (t.data.length > 3) t.data[2] = 0xff;
  const badIndex = t.data.length > 3 ? 2 : t.data.length - 1;
  try {
    kernel.amax(t);
    problems.push(`amax ${rows}x${cols}: NaN not reported`);
  } catch (e) {
    if ((e as { index?: number }).index !== badIndex)
      problems.push(
        `amax ${rows}x${cols}: NaN reported at ${(e as { index?: number }).index}, expected ${badIndex}`,
      );
  }
}
log(`amax with cols % 16 != 0: ${problems.length === 0 ? "IDENTICAL" : "problems"}`);

// 1b. Low-level device API gives the same bytes.
if (!simulate) {
  const t = randomTensor(78, 256, 512);
  const gs = nvfp4GlobalScale(fp8BlockAmax(t));
  const ref = quantizeNvfp4(t, gs);
  const n = t.rows * t.cols;
  const dData = cuda.deviceAlloc(n);
  const dScale = cuda.deviceAlloc(t.scale.byteLength);
  const dPacked = cuda.deviceAlloc(n / 2);
  const dScales = cuda.deviceAlloc(n / 16);
  cuda.copyToDevice(dData, t.data);
  cuda.copyToDevice(dScale, t.scale);
  const a = cuda.amaxDevice(dData, t.rows, t.cols, dScale, t.blockRows, t.blockCols);
  const s = cuda.quantizeDevice(
    dData,
    t.rows,
    t.cols,
    dScale,
    t.blockRows,
    t.blockCols,
    gs,
    dPacked,
    dScales,
  );
  const packed = new Uint8Array(n / 2);
  const scales = new Uint8Array(n / 16);
  cuda.copyFromDevice(packed, dPacked);
  cuda.copyFromDevice(scales, dScales);
  for (const p of [dData, dScale, dPacked, dScales]) cuda.deviceFree(p);
  const ok =
    a.amax === fp8BlockAmax(t) &&
    equalBytes(packed, ref.packed) &&
    equalBytes(scales, ref.blockScales) &&
    s.sumSqError === ref.stats.sumSqError &&
    s.sumSqRef === ref.stats.sumSqRef &&
    s.maxAbsError === ref.stats.maxAbsError;
  if (!ok) problems.push("device-pointer API differs from the reference");
  log(`device-pointer API: ${ok ? "IDENTICAL" : "DIFFERS"}`);
}

// 2. DeepSeek-V4-like shapes: equality vs C++ (itself identical to TS) and throughput.
const shapes: Array<[string, number, number, boolean?]> = [
  ["w1/w3 (expert gate/up) 3072x7168", 3072, 7168],
  ["w2 (expert down) 7168x3072", 7168, 3072],
  ["shared/attn 2048x7168", 2048, 7168],
  ["5 x w1/w3 stacked 15360x7168 (110 MB > L2)", 15360, 7168],
  // DeepSeek-V4's own layout: E8M0 (power-of-two) block scales.
  ["w1/w3 with E8M0 scales 3072x7168", 3072, 7168, true],
];
const stackOf = 5;
let firstTensor: Fp8BlockScaledTensor | undefined;
const bench: Record<string, unknown>[] = [];
const torchInputs: Record<string, unknown>[] = [];
for (const [label, rows, cols, e8m0 = false] of shapes) {
  t0 = performance.now();
  const stacked = rows === stackOf * 3072 && firstTensor !== undefined;
  // The stacked shape repeats the first tensor (rows a multiple of the 128-row scale blocks).
  const t: Fp8BlockScaledTensor =
    stacked && firstTensor
      ? {
          ...firstTensor,
          rows,
          data: Buffer.concat(
            Array.from({ length: stackOf }, () => (firstTensor as Fp8BlockScaledTensor).data),
          ),
          scale: new Float32Array(
            Array.from({ length: stackOf }, () =>
              Array.from((firstTensor as Fp8BlockScaledTensor).scale),
            ).flat(),
          ),
        }
      : gaussianFp8Tensor(rows + cols, rows, cols, 128, e8m0);
  firstTensor ??= t;
  const genS = (performance.now() - t0) / 1000;
  const amax = kernel.amax(t);
  const gs = nvfp4GlobalScale(amax);
  t0 = performance.now();
  const r = kernel.quantize(t, gs);
  const hostCallMs = performance.now() - t0;
  let cpuMatch: boolean | string = "cpu addon not available";
  let cpuMs: number | undefined;
  if (cpuKernel) {
    const cpuAmax = cpuKernel.amax(t);
    t0 = performance.now();
    const c = cpuKernel.quantize(t, gs);
    cpuMs = performance.now() - t0;
    cpuMatch =
      cpuAmax === amax &&
      equalBytes(c.packed, r.packed) &&
      equalBytes(c.blockScales, r.blockScales) &&
      JSON.stringify(c.stats) === JSON.stringify(r.stats);
    if (!cpuMatch) problems.push(`${label}: CUDA differs from the C++ addon`);
  }
  const bench1 = (addon: CudaBenchAddon) =>
    simulate
      ? {
          amaxMs: Number.NaN,
          quantizeMs: hostCallMs,
          quantizeSerialMs: hostCallMs,
          quantizeLanesMs: hostCallMs,
          uploadMs: Number.NaN,
          downloadMs: Number.NaN,
          iterations: 0,
        }
      : addon.benchmark(t.data, t.rows, t.cols, t.scale, t.blockRows, t.blockCols, gs, iterations);
  const b = bench1(cudaBench);
  const bytes = rows * cols;
  const gbps = (ms: number) => bytes / (ms * 1e-3) / 1e9;
  let pipelineMatch: boolean | string = "not run";
  if (pipeline) {
    const p = await pipeline.quantizeAsync(t, gs);
    pipelineMatch = sameResult(p, r);
    if (!pipelineMatch) problems.push(`${label}: the pipeline differs from the single-call API`);
  }
  const others: Record<string, unknown> = {};
  const timing = (addon: CudaBenchAddon) => {
    const ob = bench1(addon);
    return {
      amaxMs: ob.amaxMs,
      quantizeMs: ob.quantizeMs,
      quantizeGBps: gbps(ob.quantizeMs),
      quantizeSerialGBps: gbps(ob.quantizeSerialMs),
      quantizeLanesGBps: gbps(ob.quantizeLanesMs),
    };
  };
  for (const build of compareBuilds) {
    const same = sameResult(build.kernel.quantize(t, gs), r);
    if (!same) problems.push(`${label}: build ${build.label} differs from the main build`);
    others[build.label] = { identical: same, ...timing(build.bench) };
  }
  for (const build of timedBuilds) others[build.label] = { timedOnly: true, ...timing(build.bench) };
  const again = bench1(cudaBench); // the main build again, after the others: the spread is noise
  const entry = {
    label,
    rows,
    cols,
    fp8Bytes: bytes,
    amaxMs: b.amaxMs,
    quantizeMs: b.quantizeMs,
    totalKernelMs: b.amaxMs + b.quantizeMs,
    amaxGBps: gbps(b.amaxMs),
    quantizeGBps: gbps(b.quantizeMs),
    quantizeSerialMs: b.quantizeSerialMs,
    quantizeSerialGBps: gbps(b.quantizeSerialMs),
    quantizeLanesMs: b.quantizeLanesMs,
    quantizeLanesGBps: gbps(b.quantizeLanesMs),
    twoPassGBps: gbps(b.amaxMs + b.quantizeMs),
    quantizeMsAgain: again.quantizeMs,
    quantizeGBpsAgain: gbps(again.quantizeMs),
    quantizeSerialGBpsAgain: gbps(again.quantizeSerialMs),
    quantizeLanesGBpsAgain: gbps(again.quantizeLanesMs),
    amaxMsAgain: again.amaxMs,
    otherBuilds: others,
    identicalThroughPipeline: pipelineMatch,
    uploadMs: b.uploadMs,
    downloadMs: b.downloadMs,
    hostQuantizeCallMs: hostCallMs,
    cpuNativeQuantizeMs: cpuMs,
    cpuThreads: cpuKernel?.description,
    identicalToCpuNative: cpuMatch,
    relRmsError: relativeRmsError(r.stats),
    generateSeconds: genS,
  };
  bench.push(entry);
  log(JSON.stringify(entry));
  if (stacked) continue;
  // Inputs and our outputs for the PyTorch comparison.
  const base = join(workDir, `${rows}x${cols}${e8m0 ? "-e8m0" : ""}`);
  writeFileSync(`${base}.data.bin`, t.data);
  writeFileSync(`${base}.scale.bin`, Buffer.from(t.scale.buffer, t.scale.byteOffset, t.scale.byteLength));
  writeFileSync(`${base}.packed.bin`, r.packed);
  writeFileSync(`${base}.scales.bin`, r.blockScales);
  torchInputs.push({
    label,
    rows,
    cols,
    blockRows: t.blockRows,
    blockCols: t.blockCols,
    base,
    amax,
    gs,
    stats: r.stats,
  });
}
writeFileSync(join(workDir, "cases.json"), JSON.stringify(torchInputs, null, 2));

const result = {
  device: probe,
  date: new Date().toISOString(),
  identical: problems.length === 0,
  problems,
  adversarialCases: cases.map((c) => c.name),
  bench,
};
writeFileSync(join(outDir, "gpu-check.json"), `${JSON.stringify(result, null, 2)}\n`);
// The closing table: the main build (timed twice) and every other build, per shape.
const f = (ms: number, gb: number) => `${ms.toFixed(4)} ms ${gb.toFixed(0)} GB/s`;
for (const e of bench) {
  const n = (k: string) => e[k] as number;
  const others = e.otherBuilds as Record<
    string,
    { quantizeMs: number; quantizeGBps: number; quantizeSerialGBps: number; quantizeLanesGBps: number }
  >;
  // Serialized launches and launches over three streams, where the build times them.
  const more = (serialGBps: number, lanesGBps: number) =>
    Number.isNaN(serialGBps) ? "" : ` serial ${serialGBps.toFixed(0)} lanes ${lanesGBps.toFixed(0)}`;
  log(
    `TABLE ${e.label} | amax ${f(n("amaxMs"), n("amaxGBps"))} | quantize ${f(n("quantizeMs"), n("quantizeGBps"))}${more(n("quantizeSerialGBps"), n("quantizeLanesGBps"))} (again ${f(n("quantizeMsAgain"), n("quantizeGBpsAgain"))}${more(n("quantizeSerialGBpsAgain"), n("quantizeLanesGBpsAgain"))}) | both ${f(n("totalKernelMs"), n("twoPassGBps"))}${Object.entries(
      others,
    )
      .map(
        ([k, v]) =>
          ` | ${k} ${f(v.quantizeMs, v.quantizeGBps)}${more(v.quantizeSerialGBps, v.quantizeLanesGBps)}`,
      )
      .join("")}`,
  );
}
for (const p of problems.slice(0, 30)) log(`PROBLEM ${p}`);
log(problems.length === 0 ? "ALL IDENTICAL" : `${problems.length} PROBLEMS`);
kernel.dispose();
pipeline?.dispose();
for (const b of compareBuilds) b.kernel.dispose();
process.exitCode = problems.length === 0 ? 0 : 1;
