/**
 * `npm run bench` (packages/quant): converts a generated multi-GB DeepSeek V4 FP8 checkpoint with the
 * best CPU kernel and measures, in the same run and on the same bytes:
 *   - fp4kit convert (CLI in a child process under /usr/bin/time -v), several runs: GB/s of FP8
 *     input, peak RSS, CPU time, and the CPU other processes used meanwhile (the machine is shared);
 *   - where the conversion's CPU time goes (Linux perf, one more run, where perf is installed);
 *   - the same math vectorised with numpy (bench/numpy_nvfp4.py, Debian's python3-numpy) on a subset,
 *     extrapolated per GB;
 *   - a plain `cp` of the same source bytes, and a `dd oflag=direct` copy (the disk without the
 *     page cache).
 * The source is read once first, so every run reads it from the page cache. Results replace the
 * "CPU conversion (Path A)" section of BENCHMARKS.md at the repository root.
 *
 * Env: FP4KIT_BENCH_BYTES (source size, default 3.5e9), FP4KIT_BENCH_NUMPY_BYTES (numpy subset,
 * default 256e6), FP4KIT_BENCH_RUNS (converter runs, default 3), FP4KIT_BENCH_DIR (default
 * <repo>/.data/bench; the source is cached there).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Checkpoint } from "../src/safetensors/checkpoint.ts";
import { generateCheckpoint } from "../src/synthetic/generate.ts";
import { formatBytes } from "../src/util/bytes.ts";
import {
  ConvertJsonSchema,
  type ConvertRun,
  NumpyJsonSchema,
  type NumpyRun,
  renderSection,
  replaceSection,
  SECTION_TITLE,
} from "./bench-section.ts";
import { perfAvailable, profileCommand } from "./perf-profile.ts";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = resolve(PACKAGE_DIR, "../..");
const BIN = join(PACKAGE_DIR, "bin/fp4kit.js");
const NUMPY_SCRIPT = join(PACKAGE_DIR, "bench/numpy_nvfp4.py");
const BENCHMARKS_FILE = join(REPO_ROOT, "BENCHMARKS.md");

const SOURCE_BYTES = Number(process.env.FP4KIT_BENCH_BYTES ?? 3.5e9);
const NUMPY_BYTES = Number(process.env.FP4KIT_BENCH_NUMPY_BYTES ?? 256e6);
const CONVERT_RUNS = Number(process.env.FP4KIT_BENCH_RUNS ?? 3);
const DATA_DIR = process.env.FP4KIT_BENCH_DIR ?? join(REPO_ROOT, ".data/bench");
const GB = 1e9;

const SourceMarkerSchema = z.object({
  family: z.string(),
  targetBytes: z.number(),
  seed: z.number(),
  tensorBytes: z.number(),
});
const MARKER = "fp4kit-bench-source.json";

async function main(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const src = await ensureSource();
  const checkpoint = await Checkpoint.open(src);
  const largestTensor = Math.max(...[...checkpoint.tensors.values()].map((t) => t.end - t.begin));
  const files = checkpoint.shards.map((s) => checkpoint.shardPath(s.file));
  const dst = join(DATA_DIR, "out");

  log("reading the source once, so that every run reads it from the page cache");
  const warmRead = timed(() => run("cat", files));
  log(`  ${(checkpoint.fileBytes / warmRead / GB).toFixed(2)} GB/s`);

  const converts: ConvertRun[] = [];
  for (let i = 1; i <= CONVERT_RUNS; i++) {
    log(
      `fp4kit convert ${formatBytes(checkpoint.tensorBytes)} with the C++ kernel, run ${i} of ${CONVERT_RUNS}`,
    );
    const r = await runConvert(src, dst);
    converts.push(r);
    log(
      `  ${(r.json.throughputBytesPerSec / GB).toFixed(3)} GB/s, peak RSS ${formatBytes(r.maxRssBytes)}, other processes used ${r.othersCpuSeconds.toFixed(1)} CPU-s meanwhile`,
    );
  }

  let profile: Awaited<ReturnType<typeof profileCommand>>;
  if (perfAvailable()) {
    log("one more conversion under perf, for where the time goes");
    await rm(dst, { recursive: true, force: true });
    profile = await profileCommand(process.execPath, convertArgs(src, dst), join(DATA_DIR, "perf.data"));
    await rm(dst, { recursive: true, force: true });
  }

  log(`numpy (same math) on the first ${formatBytes(NUMPY_BYTES)} of FP8 weights`);
  const numpy = runNumpy(src);
  log(`  ${(numpy.bytes / numpy.seconds / GB).toFixed(3)} GB/s (${numpy.python}, numpy ${numpy.numpy})`);

  log("cp of the same source bytes, then dd with O_DIRECT writes");
  const copySeconds = await runCopy((target) => [["cp", [...files, target]]]);
  const directCopySeconds = await runCopy((target) =>
    files.map((f) => [
      "dd",
      [`if=${f}`, `of=${join(target, basename(f))}`, "bs=8M", "oflag=direct", "status=none"],
    ]),
  );
  log(
    `  cp ${(checkpoint.fileBytes / copySeconds / GB).toFixed(3)} GB/s, dd ${(checkpoint.fileBytes / directCopySeconds / GB).toFixed(3)} GB/s`,
  );

  const previous = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, "utf8") : "# Benchmarks\n";
  const section = renderSection(previous, {
    cpu: cpuDescription(),
    sourceBytes: checkpoint.tensorBytes,
    sourceFileBytes: checkpoint.fileBytes,
    sourceFiles: checkpoint.shards.length,
    tensors: checkpoint.tensors.size,
    largestTensor,
    warmReadSeconds: warmRead,
    converts,
    profile,
    numpy,
    copySeconds,
    directCopySeconds,
  });
  await writeFile(BENCHMARKS_FILE, replaceSection(previous, section));
  log(`wrote "${SECTION_TITLE.slice(3)}" in ${BENCHMARKS_FILE}`);
  process.stdout.write(`\n${section}`);
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** The synthetic source, generated once and reused while its marker matches. */
async function ensureSource(): Promise<string> {
  const dir = join(DATA_DIR, `src-deepseek-v4-${(SOURCE_BYTES / GB).toFixed(1)}GB`);
  const wanted = { family: "deepseek-v4", targetBytes: SOURCE_BYTES, seed: 1 };
  try {
    const marker = SourceMarkerSchema.parse(JSON.parse(await readFile(join(dir, MARKER), "utf8")));
    if (
      marker.family === wanted.family &&
      marker.targetBytes === wanted.targetBytes &&
      marker.seed === wanted.seed
    )
      return dir;
  } catch {
    // missing or stale: generate below
  }
  log(
    `generating a ${(SOURCE_BYTES / GB).toFixed(1)} GB DeepSeek V4 FP8 checkpoint in ${dir} (cached for later runs)`,
  );
  await rm(dir, { recursive: true, force: true });
  const generated = await generateCheckpoint({
    family: "deepseek-v4",
    dir,
    targetBytes: SOURCE_BYTES,
    seed: wanted.seed,
  });
  await writeFile(join(dir, MARKER), JSON.stringify({ ...wanted, tensorBytes: generated.tensorBytes }));
  return dir;
}

function convertArgs(src: string, dst: string): string[] {
  return [BIN, "convert", "--src", src, "--dst", dst, "--kernel", "cpu", "--json"];
}

/**
 * The CLI in a child process under GNU time, so its peak RSS is the kernel's count. The
 * destination is removed first: an earlier run's output would be resumed, not converted.
 */
async function runConvert(src: string, dst: string): Promise<ConvertRun> {
  await rm(dst, { recursive: true, force: true });
  const args = convertArgs(src, dst);
  const useTime = existsSync("/usr/bin/time");
  const [command, commandArgs] = useTime
    ? ["/usr/bin/time", ["-v", process.execPath, ...args]]
    : [process.execPath, args];
  const loadBefore = loadavg()[0] ?? 0;
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  const result = await new Promise<Omit<ConvertRun, "othersCpuSeconds" | "loadBefore">>(
    (resolvePromise, reject) => {
      const child = spawn(command, commandArgs as string[], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`fp4kit convert exited with ${code}:\n${stderr}`));
        const field = (pattern: RegExp) => Number(pattern.exec(stderr)?.[1] ?? Number.NaN);
        resolvePromise({
          json: ConvertJsonSchema.parse(JSON.parse(stdout)),
          maxRssBytes: field(/Maximum resident set size \(kbytes\): (\d+)/) * 1024,
          wallSeconds: (performance.now() - started) / 1000,
          userSeconds: field(/User time \(seconds\): ([\d.]+)/),
          systemSeconds: field(/System time \(seconds\): ([\d.]+)/),
        });
      });
    },
  );
  await rm(dst, { recursive: true, force: true });
  // What the machine did meanwhile, less this conversion's own CPU time.
  const othersCpuSeconds =
    machineBusySeconds() - busyBefore - (result.userSeconds + result.systemSeconds || 0);
  return { ...result, loadBefore, othersCpuSeconds: Math.max(0, othersCpuSeconds) };
}

/** CPU seconds all cores have spent busy since boot. */
function machineBusySeconds(): number {
  return cpus().reduce((s, c) => s + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0) / 1000;
}

/** Debian's python3 (with python3-numpy) first, as the issue asks; any python3 with numpy otherwise. */
function runNumpy(src: string): NumpyRun {
  const candidates = ["/usr/bin/python3", "python3"];
  const python = candidates.find((p) => spawnSync(p, ["-c", "import numpy"]).status === 0);
  if (python === undefined) throw new Error("no python3 with numpy: apt-get install -y python3-numpy");
  const r = spawnSync(python, [NUMPY_SCRIPT, src, "--max-bytes", String(NUMPY_BYTES)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`numpy_nvfp4.py failed:\n${r.stderr}`);
  return NumpyJsonSchema.parse(JSON.parse(r.stdout));
}

/** Seconds to copy the source shards to a fresh directory with the commands given, and sync. */
async function runCopy(commands: (target: string) => [string, string[]][]): Promise<number> {
  const target = join(DATA_DIR, "cp");
  await rm(target, { recursive: true, force: true });
  await mkdir(target);
  const seconds = timed(() => {
    for (const [command, args] of commands(target)) run(command, args);
    run("sync", []);
  });
  await rm(target, { recursive: true, force: true });
  return seconds;
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
}

function timed(work: () => void): number {
  const started = performance.now();
  work();
  return (performance.now() - started) / 1000;
}

/** `lscpu`'s model name and the instruction sets the kernels and SHA-256 use. */
function cpuDescription(): string {
  const lscpu = spawnSync("lscpu", [], { encoding: "utf8" }).stdout ?? "";
  const model = /Model name:\s*(.+)/.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown CPU";
  const flags = new Set((/Flags:\s*(.+)/.exec(lscpu)?.[1] ?? "").split(/\s+/));
  const has = ["avx2", "avx512f", "sha_ni"].filter((f) => flags.has(f));
  return `${model}${has.length > 0 ? ` (${has.join(", ")})` : ""}`;
}

await main();
