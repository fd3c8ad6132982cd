/**
 * The "CPU conversion (Path A)" section of BENCHMARKS.md, rendered from one `npm run bench`
 * (bench/run-bench.ts), and its place in the file.
 */
import { availableParallelism, totalmem } from "node:os";
import { z } from "zod";
import { formatBytes } from "../src/util/bytes.ts";
import type { ConvertProfile } from "./perf-profile.ts";

export const SECTION_TITLE = "## CPU conversion (Path A)";
const GB = 1e9;

/** What `fp4kit convert --json` prints (the fields used here). */
export const ConvertJsonSchema = z.looseObject({
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

export const NumpyJsonSchema = z.looseObject({
  bytes: z.number(),
  seconds: z.number(),
  numpy: z.string(),
  python: z.string(),
});
export type NumpyRun = z.infer<typeof NumpyJsonSchema>;

export interface ConvertRun {
  json: z.infer<typeof ConvertJsonSchema>;
  maxRssBytes: number;
  wallSeconds: number;
  /** CPU seconds of the process (all threads), from GNU time. */
  userSeconds: number;
  systemSeconds: number;
  /** 1-minute load average when the run started. */
  loadBefore: number;
  /** CPU seconds other processes used while it ran (the machine is shared). */
  othersCpuSeconds: number;
}

export interface SectionInput {
  cpu: string;
  sourceBytes: number;
  sourceFileBytes: number;
  sourceFiles: number;
  tensors: number;
  largestTensor: number;
  warmReadSeconds: number;
  converts: ConvertRun[];
  profile: ConvertProfile | undefined;
  numpy: NumpyRun;
  copySeconds: number;
  directCopySeconds: number;
}

const gbps = (bytes: number, seconds: number) => (bytes / seconds / GB).toFixed(3);
const verdict = (ok: boolean) => (ok ? "met" : "**not met**");

export function renderSection(previousFile: string, r: SectionInput): string {
  const rate = (run: ConvertRun) => run.json.convertedBytes / run.json.seconds;
  const byRate = [...r.converts].sort((a, b) => rate(a) - rate(b));
  const median = byRate[Math.floor(byRate.length / 2)] as ConvertRun;
  const best = byRate[byRate.length - 1] as ConvertRun;
  const c = median.json;
  const ours = rate(median);
  const numpyRate = r.numpy.bytes / r.numpy.seconds;
  const rssTarget = GB + 2 * r.largestTensor;
  const peakRss = Math.max(...r.converts.map((x) => x.maxRssBytes));
  const previous = previousResult(previousFile);
  const runRows = r.converts
    .map(
      (x, i) =>
        `| ${i + 1} | ${x.json.seconds.toFixed(2)} s | ${gbps(x.json.convertedBytes, x.json.seconds)} | ${formatBytes(x.maxRssBytes)} | ${x.userSeconds.toFixed(1)} + ${x.systemSeconds.toFixed(1)} s | ${x.loadBefore.toFixed(2)} | ${x.othersCpuSeconds.toFixed(1)} s |`,
    )
    .join("\n");
  return `${SECTION_TITLE}

Measured by \`npm run bench\` (packages/quant/bench/run-bench.ts) on ${new Date().toISOString().slice(0, 10)}: ${r.cpu}, ${availableParallelism()} cores,
${formatBytes(totalmem())} RAM, Node ${process.version}. The machine is shared with other engineers' builds and tests:
each run lists the load average when it started and the CPU time other processes used while it ran
(on 2 cores, anything above a few tenths of a second slows the run down).

Source: a synthetic DeepSeek V4 FP8 checkpoint (realistic layer shapes, 128×128 F32 block scales) of
${formatBytes(r.sourceBytes)} in ${r.sourceFiles} shards, ${r.tensors} tensors; largest tensor ${formatBytes(r.largestTensor)}. **Every run reads it from
the page cache**: it was read once before the runs (\`cat\`, ${gbps(r.sourceFileBytes, r.warmReadSeconds)} GB/s) and fits in RAM many times over.
fp4kit writes its output to the same disk, with O_DIRECT (no page cache), and fsyncs it.

| \`fp4kit convert\` (${c.kernel.description}) | conversion time | GB/s of FP8 input | peak RSS | CPU user + system | load average before | CPU used by others meanwhile |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${runRows}

Median **${gbps(c.convertedBytes, c.seconds)} GB/s**, best ${gbps(best.json.convertedBytes, best.json.seconds)} GB/s${previous === undefined ? "" : ` (the previous result in this file, ${previous.date}: ${previous.gbps} GB/s)`}. Output ${formatBytes(c.outputBytes)} in
${c.shards.length} shard(s); ${c.quality.totals.quantizedTensors} NVFP4 tensors, rel. RMS error ${c.quality.totals.relRmsError.toFixed(4)}. Conversion time is the converter's own
(plan to last file); with Node's start-up the median run took ${median.wallSeconds.toFixed(1)} s.

| the same bytes, same run | time | GB/s of FP8 input | notes |
| --- | ---: | ---: | --- |
| \`fp4kit convert\`, median run | ${c.seconds.toFixed(1)} s | **${gbps(c.convertedBytes, c.seconds)}** | reads through the page cache, writes with O_DIRECT + fsync |
| numpy, same math (\`bench/numpy_nvfp4.py\`, numpy ${r.numpy.numpy}) | ${r.numpy.seconds.toFixed(1)} s for ${formatBytes(r.numpy.bytes)} | ${gbps(r.numpy.bytes, r.numpy.seconds)} | a subset, extrapolated: ${(r.sourceBytes / numpyRate).toFixed(0)} s for the whole source. Byte-identical to fp4kit's output (\`--compare\`, checked on the synthetic test checkpoints) |
| \`cp\` of the same files | ${r.copySeconds.toFixed(1)} s | ${gbps(r.sourceFileBytes, r.copySeconds)} | copy + sync, through the page cache |
| \`dd bs=8M oflag=direct\` of the same files | ${r.directCopySeconds.toFixed(1)} s | ${gbps(r.sourceFileBytes, r.directCopySeconds)} | copy + sync, writes bypass the page cache |

Against the targets (median run):

| target | measured | |
| --- | --- | --- |
| ≥ 1 GB/s of FP8 input on 2 cores | ${gbps(c.convertedBytes, c.seconds)} GB/s (best run ${gbps(best.json.convertedBytes, best.json.seconds)}) | ${verdict(ours >= GB)} |
| ≥ 10× the numpy implementation | ${(ours / numpyRate).toFixed(1)}× | ${verdict(ours >= 10 * numpyRate)} |
| peak RSS ≤ 1 GB + 2 × largest tensor (${formatBytes(rssTarget)}) | ${formatBytes(peakRss)} (highest of the runs) | ${verdict(peakRss <= rssTarget)} |

${renderProfile(r.profile)}

How a conversion runs (packages/quant/src/convert): units (a weight and everything made from it) are
produced in output order, as far ahead as the in-flight budget allows (128 MiB for the CPU kernels
here), into the next shard while a file is being finished. Weights are
read four at a time, in order, straight into reused buffers; two C++ kernel calls are in flight
(each on all cores), and a waiting call for an earlier unit goes first. The writer gathers the
output in four staging blocks of 8 MiB (or more) and writes each with O_DIRECT while the next
fills; the kernel writes each NVFP4 unit's outputs straight into the blocks, and a staging thread
computes the shard's SHA-256 from them, in place, for the resume manifest.
Tensors copied as they are (and FP8 weights kept as FP8) are read straight into the staging
blocks. \`cp\` is slower than the converter's writes on this VM because writing through the page
cache into memory the guest has not used lately costs system CPU (measured on 2026-11-26: about
2.5 s per GB, against 0.3 s per GB into memory freed moments before); O_DIRECT writes need none.
What is left to gain is in the table above: the kernel itself and SHA-256 (required by the
manifest; already SHA-NI).
`;
}

function renderProfile(p: ConvertProfile | undefined): string {
  if (p === undefined)
    return "Where the time goes: not measured (Linux `perf` is not installed or not allowed here).";
  const rows = p.buckets
    .map((b) => `| ${b.name} | ${b.cpuSeconds.toFixed(2)} s | ${(100 * b.share).toFixed(0)}% |`)
    .join("\n");
  return `Where the time goes: one more conversion under \`perf record\` (all threads, user and kernel space),
counting the ${p.windowSeconds.toFixed(2)} s from the first to the last kernel sample: ${p.cpuSeconds.toFixed(2)} CPU-s, i.e. ${(p.cpuSeconds / p.windowSeconds).toFixed(2)} of
the ${availableParallelism()} cores busy on average.

| | CPU time | share |
| --- | ---: | ---: |
${rows}`;
}

/** The median (or, in this section's older layout, the only) converter result in the file. */
function previousResult(file: string): { gbps: string; date: string } | undefined {
  const section = sectionOf(file);
  if (section === undefined) return undefined;
  const gbpsMatch = /Median \*\*([\d.]+) GB\/s\*\*/.exec(section) ?? /\| \*\*([\d.]+)\*\* \|/.exec(section);
  const date = /on (\d{4}-\d{2}-\d{2})/.exec(section)?.[1];
  return gbpsMatch?.[1] === undefined || date === undefined ? undefined : { gbps: gbpsMatch[1], date };
}

function sectionOf(file: string): string | undefined {
  const start = file.indexOf(`${SECTION_TITLE}\n`);
  if (start < 0) return undefined;
  const after = file.indexOf("\n## ", start + SECTION_TITLE.length);
  return file.slice(start, after < 0 ? undefined : after);
}

/** The file with this benchmark's section (up to the next "## " heading) replaced, or appended. */
export function replaceSection(file: string, section: string): string {
  const start = file.indexOf(`${SECTION_TITLE}\n`);
  let next: string;
  if (start < 0) {
    next = `${file.trimEnd()}\n\n${section}`;
  } else {
    const after = file.indexOf("\n## ", start + SECTION_TITLE.length);
    next = `${file.slice(0, start)}${section}${after < 0 ? "" : `\n${file.slice(after + 1)}`}`;
  }
  return next.endsWith("\n") ? next : `${next}\n`;
}
