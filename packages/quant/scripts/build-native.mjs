#!/usr/bin/env node
/**
 * Builds the optional native NVFP4 kernels into packages/quant/build/:
 *   fp4kit_cpu.node   C++ CPU addon (node-gyp, native/binding.gyp)
 *   fp4kit_cuda.node  CUDA addon (nvcc, when nvcc is installed)
 * and writes build/native-build.json saying what was built and why not. It never fails: without a
 * compiler the package falls back to the TypeScript kernel and selectKernel() reports the reason.
 *
 * With --bench (`npm run build:bench`) it builds only the kernels' benchmark harness,
 *   fp4kit_cuda_bench.node  (nvcc; scripts/gpu-check.ts times the kernels with it)
 * and fails when it cannot: the harness is asked for, and nothing falls back to it. The default
 * build (`npm run build`) never compiles it.
 *
 * Env: FP4KIT_SKIP_NATIVE=1 (build nothing), FP4KIT_SKIP_CUDA=1, NVCC=/path/to/nvcc,
 *      FP4KIT_NATIVE_FORCE=1 (rebuild even if up to date).
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findNvcc } from "./find-nvcc.mjs";

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(pkgDir, "native");
const buildDir = join(pkgDir, "build");
const require = createRequire(import.meta.url);
const force = process.env.FP4KIT_NATIVE_FORCE === "1";

mkdirSync(buildDir, { recursive: true });

function log(msg) {
  console.log(`[build-native] ${msg}`);
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "build" ? [] : filesUnder(join(dir, e.name))) : [join(dir, e.name)],
  );
}

function upToDate(output, inputs) {
  if (force || !existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs <= built);
}

/** Node's own headers (node_api.h), so node-gyp does not try to download them (offline machines). */
function nodeIncludeDir() {
  const prefix = dirname(dirname(process.execPath));
  const dir = join(prefix, "include", "node");
  return existsSync(join(dir, "node_api.h")) ? { prefix, dir } : undefined;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  return { ok: r.status === 0, output, error: r.error };
}

/**
 * A temporary name next to `output` (same directory, so same file system) for a new build. The new
 * file is renamed over `output`: a process that has the old addon loaded keeps its inode, whereas
 * writing `output` in place would change the code under a running conversion (it crashes).
 */
function temporaryFor(output) {
  return `${output}.${process.pid}.tmp`;
}

function lastLines(text, n = 12) {
  return text.trim().split("\n").slice(-n).join("\n");
}

function buildCpu() {
  const output = join(buildDir, "fp4kit_cpu.node");
  const inputs = [
    join(nativeDir, "binding.gyp"),
    ...filesUnder(join(nativeDir, "common")),
    ...filesUnder(join(nativeDir, "cpu")),
    fileURLToPath(import.meta.url),
  ];
  if (upToDate(output, inputs)) return { ok: true, reason: "up to date" };
  let nodeGyp;
  try {
    nodeGyp = require.resolve("node-gyp/bin/node-gyp.js");
  } catch {
    return { ok: false, reason: "node-gyp is not installed" };
  }
  const headers = nodeIncludeDir();
  const args = [nodeGyp, "rebuild", "--directory", nativeDir, "--jobs", "2"];
  if (headers) args.push(`--nodedir=${headers.prefix}`);
  log(`compiling fp4kit_cpu.node (node-gyp${headers ? `, headers ${headers.dir}` : ""})`);
  const r = run(process.execPath, args);
  if (!r.ok) {
    // Never leave a stale addon behind: it would no longer match the TypeScript reference.
    rmSync(output, { force: true });
    return { ok: false, reason: `node-gyp failed:\n${lastLines(r.output)}` };
  }
  const temporary = temporaryFor(output);
  try {
    copyFileSync(join(nativeDir, "build", "Release", "fp4kit_cpu.node"), temporary);
    renameSync(temporary, output);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { ok: true, reason: "built" };
}

const cudaSources = (...names) => names.map((name) => join(nativeDir, "cuda", name));

/** The addon conversions load: the kernels' host API and the multi-GPU pipeline. */
const CUDA_ADDON = {
  file: "fp4kit_cuda.node",
  sources: cudaSources("launch.cu", "host_api.cu", "addon.cc", "pipeline.cc", "pipeline_bindings.cc"),
};

/** The benchmark harness, on its own copy of the launch layer (the same kernels, the same flags). */
const CUDA_BENCH_ADDON = {
  file: "fp4kit_cuda_bench.node",
  sources: cudaSources("launch.cu", "bench.cu", "bench_addon.cc"),
};

/** Compiles `addon` with nvcc; a failed or skipped build removes an older one (it may not match). */
function buildCuda(addon) {
  const output = join(buildDir, addon.file);
  const skip = (reason) => {
    rmSync(output, { force: true });
    return { ok: false, reason };
  };
  if (process.env.FP4KIT_SKIP_CUDA === "1") return skip("skipped (FP4KIT_SKIP_CUDA=1)");
  const nvcc = findNvcc();
  if (!nvcc) return skip("skipped: nvcc not found (CUDA toolkit not installed)");
  const headers = nodeIncludeDir();
  if (!headers) return skip("skipped: Node headers (include/node/node_api.h) not found");
  const inputs = [
    ...filesUnder(join(nativeDir, "common")),
    ...filesUnder(join(nativeDir, "cuda")),
    fileURLToPath(import.meta.url),
  ];
  if (upToDate(output, inputs)) return { ok: true, reason: "up to date" };
  let napiInclude;
  try {
    napiInclude = dirname(require.resolve("node-addon-api/napi.h"));
  } catch {
    return skip("skipped: node-addon-api is not installed");
  }
  const temporary = temporaryFor(output);
  const args = [
    "-shared",
    "-O3",
    "-std=c++17",
    "-Xcompiler",
    "-fPIC,-ffp-contract=off,-fvisibility=hidden",
    // Bit-exactness with the reference: no FMA contraction, IEEE division, no flush-to-zero.
    "--fmad=false",
    "--ftz=false",
    "--prec-div=true",
    "--prec-sqrt=true",
    // Each host thread gets its own default stream: the pipeline runs tensors concurrently from
    // several threads (native/cuda/pipeline.h).
    "--default-stream",
    "per-thread",
    `-I${headers.dir}`,
    `-I${napiInclude}`,
    "-DNAPI_VERSION=8",
    "-DNAPI_DISABLE_CPP_EXCEPTIONS",
    // See native/common/napi_glue.h: no napi_fatal_error when a terminated worker's call fails.
    "-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
    "-DNODE_ADDON_API_DISABLE_DEPRECATED",
    // Never unloaded when a worker thread that loaded it ends: the CUDA runtime, the workspace and
    // the pipeline's GPU buffers are process-wide and may be in use by another thread.
    "-Xlinker",
    "-z,nodelete",
    "-cudart",
    "static",
    "-gencode",
    "arch=compute_90,code=sm_90",
    "-gencode",
    "arch=compute_100,code=sm_100",
    // PTX for newer GPUs (JIT-compiled by the driver).
    "-gencode",
    "arch=compute_100,code=compute_100",
    ...addon.sources,
    "-o",
    temporary,
  ];
  log(`compiling ${addon.file} (${nvcc})`);
  try {
    const r = run(nvcc, args);
    if (!r.ok) {
      rmSync(output, { force: true });
      return { ok: false, reason: `nvcc failed:\n${lastLines(r.output)}` };
    }
    renameSync(temporary, output);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { ok: true, reason: "built" };
}

function attempt(fn) {
  try {
    return fn();
  } catch (error) {
    return { ok: false, reason: `build script error: ${error.message}` };
  }
}

function writeReport(report) {
  // Renamed into place like the addons: a process loading them reads a whole report.
  const reportFile = join(buildDir, "native-build.json");
  writeFileSync(
    temporaryFor(reportFile),
    `${JSON.stringify({ ...report, at: new Date().toISOString() }, null, 2)}\n`,
  );
  renameSync(temporaryFor(reportFile), reportFile);
  for (const [name, r] of Object.entries(report)) {
    log(
      `${name}: ${r.ok ? "ok" : "NOT BUILT"} — ${r.reason}${r.ok ? "" : " (falls back; see selectKernel())"}`,
    );
  }
}

if (process.argv.includes("--bench")) {
  const bench =
    process.env.FP4KIT_SKIP_NATIVE === "1"
      ? { ok: false, reason: "skipped (FP4KIT_SKIP_NATIVE=1)" }
      : attempt(() => buildCuda(CUDA_BENCH_ADDON));
  log(`cuda-bench: ${bench.ok ? "ok" : "NOT BUILT"} — ${bench.reason}`);
  if (!bench.ok) process.exitCode = 1;
} else {
  writeReport(
    process.env.FP4KIT_SKIP_NATIVE === "1"
      ? {
          cpu: { ok: false, reason: "skipped (FP4KIT_SKIP_NATIVE=1)" },
          cuda: { ok: false, reason: "skipped (FP4KIT_SKIP_NATIVE=1)" },
        }
      : { cpu: attempt(buildCpu), cuda: attempt(() => buildCuda(CUDA_ADDON)) },
  );
}
