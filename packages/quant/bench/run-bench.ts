/**
 * `npm run bench` (packages/quant): converts a generated multi-GB DeepSeek V4 FP8 checkpoint with the
 * best CPU kernel and measures, in the same run and on the same bytes:
 *   - fp4kit convert (CLI in a child process under /usr/bin/time -v): GB/s of FP8 input, peak RSS;
 *   - the same math vectorised with numpy (bench/numpy_nvfp4.py, Debian's python3-numpy) on a subset,
 *     extrapolated per GB;
 *   - a plain `cp` of the same source bytes.
 * Results replace the "CPU conversion (Path A)" section of BENCHMARKS.md at the repository root.
 *
 * Env: FP4KIT_BENCH_BYTES (source size, default 3.5e9), FP4KIT_BENCH_NUMPY_BYTES (numpy subset,
 * default 256e6), FP4KIT_BENCH_DIR (default <repo>/.data/bench; the source is cached there).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Checkpoint } from "../src/safetensors/checkpoint.ts";
import { generateCheckpoint } from "../src/synthetic/generate.ts";
import { formatBytes } from "../src/util/bytes.ts";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = resolve(PACKAGE_DIR, "../..");
const BIN = join(PACKAGE_DIR, "bin/fp4kit.js");
const NUMPY_SCRIPT = join(PACKAGE_DIR, "bench/numpy_nvfp4.py");
const BENCHMARKS_FILE = join(REPO_ROOT, "BENCHMARKS.md");
const SECTION_TITLE = "## CPU conversion (Path A)";

const SOURCE_BYTES = Number(process.env.FP4KIT_BENCH_BYTES ?? 3.5e9);
const NUMPY_BYTES = Number(process.env.FP4KIT_BENCH_NUMPY_BYTES ?? 256e6);
const DATA_DIR = process.env.FP4KIT_BENCH_DIR ?? join(REPO_ROOT, ".data/bench");
const GB = 1e9;

const SourceMarkerSchema = z.object({
  family: z.string(),
  targetBytes: z.number(),
  seed: z.number(),
  tensorBytes: z.number(),
});
const MARKER = "fp4kit-bench-source.json";

/** What `fp4kit convert --json` prints (the fields used here). */
const ConvertJsonSchema = z.looseObject({
  kernel: z.object({ description: z.string(), reason: z.string() }),
  inputBytes: z.number(),
  outputBytes: z.number(),
  convertedBytes: z.number(),
  seconds: z.number(),
  throughputBytesPerSec: z.number(),
  shards: z.array(z.unknown()),
  quality: z.looseObject({
    totals: z.looseObject({ relRmsError: z.number(), quantizedTensors: z.number() }),
  }),
});

const NumpyJsonSchema = z.looseObject({
  bytes: z.number(),
  seconds: z.number(),
  numpy: z.string(),
  python: z.string(),
});

async function main(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const src = await ensureSource();
  const checkpoint = await Checkpoint.open(src);
  const largestTensor = Math.max(...[...checkpoint.tensors.values()].map((t) => t.end - t.begin));
  const loadBefore = loadavg()[0] ?? 0;

  log(`fp4kit convert ${formatBytes(checkpoint.tensorBytes)} with the C++ kernel`);
  const convert = await runConvert(src, join(DATA_DIR, "out"));
  log(
    `  ${(convert.json.throughputBytesPerSec / GB).toFixed(3)} GB/s, peak RSS ${formatBytes(convert.maxRssBytes)}`,
  );

  log(`numpy (same math) on the first ${formatBytes(NUMPY_BYTES)} of FP8 weights`);
  const numpy = runNumpy(src);
  log(`  ${(numpy.bytes / numpy.seconds / GB).toFixed(3)} GB/s (${numpy.python}, numpy ${numpy.numpy})`);

  log("cp of the same source bytes");
  const copy = await runCopy(checkpoint);
  log(`  ${(checkpoint.fileBytes / copy / GB).toFixed(3)} GB/s`);

  const section = renderSection({
    sourceBytes: checkpoint.tensorBytes,
    sourceFiles: checkpoint.shards.length,
    tensors: checkpoint.tensors.size,
    largestTensor,
    convert,
    numpy,
    copySeconds: copy,
    copyBytes: checkpoint.fileBytes,
    loadBefore,
  });
  await writeSection(section);
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

interface ConvertRun {
  json: z.infer<typeof ConvertJsonSchema>;
  maxRssBytes: number;
  wallSeconds: number;
  /** CPU seconds of the process (all threads), from GNU time. */
  userSeconds: number;
  systemSeconds: number;
}

/**
 * The CLI in a child process under GNU time, so its peak RSS is the kernel's count. The
 * destination is removed first: an earlier run's output would be resumed, not converted.
 */
async function runConvert(src: string, dst: string): Promise<ConvertRun> {
  await rm(dst, { recursive: true, force: true });
  const args = [BIN, "convert", "--src", src, "--dst", dst, "--kernel", "cpu", "--json"];
  const useTime = existsSync("/usr/bin/time");
  const [command, commandArgs] = useTime
    ? ["/usr/bin/time", ["-v", process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
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
  });
}

/** Debian's python3 (with python3-numpy) first, as the issue asks; any python3 with numpy otherwise. */
function runNumpy(src: string): z.infer<typeof NumpyJsonSchema> {
  const candidates = ["/usr/bin/python3", "python3"];
  const python = candidates.find((p) => spawnSync(p, ["-c", "import numpy"]).status === 0);
  if (python === undefined) throw new Error("no python3 with numpy: apt-get install -y python3-numpy");
  const run = spawnSync(python, [NUMPY_SCRIPT, src, "--max-bytes", String(NUMPY_BYTES)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`numpy_nvfp4.py failed:\n${run.stderr}`);
  return NumpyJsonSchema.parse(JSON.parse(run.stdout));
}

/** Seconds to `cp` the source shards (the same bytes the converter reads) to a fresh directory. */
async function runCopy(checkpoint: Checkpoint): Promise<number> {
  const target = join(DATA_DIR, "cp");
  await rm(target, { recursive: true, force: true });
  await mkdir(target);
  const started = performance.now();
  const run = spawnSync("cp", [...checkpoint.shards.map((s) => checkpoint.shardPath(s.file)), target]);
  spawnSync("sync");
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`cp failed: ${run.stderr}`);
  await rm(target, { recursive: true, force: true });
  return seconds;
}

interface SectionInput {
  sourceBytes: number;
  sourceFiles: number;
  tensors: number;
  largestTensor: number;
  convert: ConvertRun;
  numpy: z.infer<typeof NumpyJsonSchema>;
  copySeconds: number;
  copyBytes: number;
  loadBefore: number;
}

function renderSection(r: SectionInput): string {
  const gbps = (bytes: number, seconds: number) => (bytes / seconds / GB).toFixed(3);
  const c = r.convert.json;
  const ours = c.convertedBytes / c.seconds;
  const numpyRate = r.numpy.bytes / r.numpy.seconds;
  const rssTarget = GB + 2 * r.largestTensor;
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
  return `${SECTION_TITLE}

Measured by \`npm run bench\` (packages/quant/bench/run-bench.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpu}, ${availableParallelism()} cores,
${formatBytes(totalmem())} RAM, Node ${process.version}. Load average before the run: ${r.loadBefore.toFixed(2)} (the machine is shared
with other engineers' builds and tests, so these numbers move from run to run).

Source: a synthetic DeepSeek V4 FP8 checkpoint (realistic layer shapes, 128×128 F32 block scales) of
${formatBytes(r.sourceBytes)} in ${r.sourceFiles} shards, ${r.tensors} tensors; largest tensor ${formatBytes(r.largestTensor)}. All three runs read it
from the page cache (dropping caches is not possible here), and write to the same disk.

| what | time | GB/s of FP8 input | notes |
| --- | ---: | ---: | --- |
| \`fp4kit convert\` (${c.kernel.description}) | ${c.seconds.toFixed(1)} s | **${gbps(c.convertedBytes, c.seconds)}** | peak RSS ${formatBytes(r.convert.maxRssBytes)}; CPU ${r.convert.userSeconds.toFixed(1)} s user + ${r.convert.systemSeconds.toFixed(1)} s system; output ${formatBytes(c.outputBytes)} in ${c.shards.length} shard(s), fsynced; ${c.quality.totals.quantizedTensors} NVFP4 tensors, rel. RMS error ${c.quality.totals.relRmsError.toFixed(4)}; wall time with Node start-up ${r.convert.wallSeconds.toFixed(1)} s |
| numpy, same math (\`bench/numpy_nvfp4.py\`, numpy ${r.numpy.numpy}) | ${r.numpy.seconds.toFixed(1)} s for ${formatBytes(r.numpy.bytes)} | ${gbps(r.numpy.bytes, r.numpy.seconds)} | a subset, extrapolated: ${(r.sourceBytes / numpyRate).toFixed(0)} s for the whole source. Byte-identical to fp4kit's output (\`--compare\`, checked on the synthetic test checkpoints) |
| \`cp\` of the same files | ${r.copySeconds.toFixed(1)} s | ${gbps(r.copyBytes, r.copySeconds)} | copy + sync |

Against the targets of issue 4:

| target | measured | |
| --- | --- | --- |
| ≥ 1 GB/s of FP8 input on 2 cores | ${gbps(c.convertedBytes, c.seconds)} GB/s | ${verdict(ours >= GB)} |
| ≥ 10× the numpy implementation | ${(ours / numpyRate).toFixed(1)}× | ${verdict(ours >= 10 * numpyRate)} |
| peak RSS ≤ 1 GB + 2 × largest tensor (${formatBytes(rssTarget)}) | ${formatBytes(r.convert.maxRssBytes)} | ${verdict(r.convert.maxRssBytes <= rssTarget)} |

Where a conversion's time goes: the C++ kernel (an amax pass and a quantize pass per tensor, one tensor at a
time on all cores), SHA-256 of the output on the main thread (about 1.4 GB/s of output here), and copies from
and to the page cache; reads, computing and writes overlap (packages/quant/docs/output-formats.md, "Pipeline").
fp4kit writes about 0.6 bytes per FP8 byte and fsyncs each shard, so the disk's write speed (see \`cp\`) also
bounds it.
`;
}

/** Replaces this benchmark's section of BENCHMARKS.md (up to the next "## " heading), or appends it. */
async function writeSection(section: string): Promise<void> {
  const existing = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, "utf8") : "# Benchmarks\n";
  const start = existing.indexOf(`${SECTION_TITLE}\n`);
  let next: string;
  if (start < 0) {
    next = `${existing.trimEnd()}\n\n${section}`;
  } else {
    const after = existing.indexOf("\n## ", start + SECTION_TITLE.length);
    next = `${existing.slice(0, start)}${section}${after < 0 ? "" : `\n${existing.slice(after + 1)}`}`;
  }
  await writeFile(BENCHMARKS_FILE, next.endsWith("\n") ? next : `${next}\n`);
}

await main();
