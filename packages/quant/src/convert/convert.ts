/**
 * `convertCheckpoint`: FP8 checkpoint → NVFP4 checkpoint (compressed-tensors NVFP4A16 or ModelOpt
 * NVFP4), streaming, resumable, with a quality report. The steps:
 *   plan (rules preset) → output layout (units, shards) → destination check / resume →
 *   per shard: read + quantize + write, manifest updated → config, index, side files, reports.
 */
import { join } from "node:path";
import type { OutputFormat } from "@fp4kit/protocol";
import type { Nvfp4Kernel, Nvfp4KernelName } from "../nvfp4/kernel.ts";
import { type KernelSelection, selectKernel } from "../nvfp4/select-kernel.ts";
import {
  buildQualityReport,
  QUALITY_JSON_FILE,
  QUALITY_MARKDOWN_FILE,
  type QualityReport,
  renderQualityMarkdown,
  type TensorQuality,
} from "../quality/report.ts";
import { planCheckpoint } from "../rules/plan.ts";
import type { ModelFamily, TensorPlan } from "../rules/types.ts";
import { Checkpoint } from "../safetensors/checkpoint.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { flagInputScales, type InputScales, loadCalibrationFile } from "./calibration.ts";
import { prepareDestination } from "./destination.ts";
import { ConvertError } from "./errors.ts";
import { Fp8Loader } from "./fp8-loader.ts";
import { GlobalScales } from "./global-scales.ts";
import {
  type Manifest,
  readShardQuality,
  shardMatches,
  writeManifest,
  writeShardQuality,
} from "./manifest.ts";
import {
  type ConvertCheckpointOptions,
  type KernelPreference,
  type ResolvedConvertOptions,
  resolveConvertOptions,
} from "./options.ts";
import { type OutputLayout, type OutputShard, planOutputLayout } from "./output-layout.ts";
import { computePlanHash } from "./plan-hash.ts";
import { type ConvertProgressEvent, ProgressTracker } from "./progress.ts";
import { buildQuantizationConfigs } from "./quant-config.ts";
import { SerialQueue } from "./serial-queue.ts";
import { writeShard } from "./shard-writer.ts";
import { readConfigText, writeSideFiles } from "./side-files.ts";
import { SourceReader } from "./source-reader.ts";

export interface ConvertHooks {
  onProgress?: (event: ConvertProgressEvent) => void;
  /** Human-readable lines (kernel choice, resumed shards, warnings). */
  onLog?: (line: string) => void;
  /** Stops after the tensor in flight; complete shards are kept, so a re-run resumes. */
  signal?: AbortSignal;
}

export interface ConvertedShard {
  file: string;
  bytes: number;
  sha256: string;
  /** Kept from an earlier run instead of written by this one. */
  resumed: boolean;
}

export interface ConvertResult {
  dst: string;
  format: OutputFormat;
  family: ModelFamily;
  kernel: { name: Nvfp4KernelName; description: string; reason: string };
  shards: ConvertedShard[];
  /** Source tensor bytes (FP8 input). */
  inputBytes: number;
  /** Output shard file bytes. */
  outputBytes: number;
  /** Source bytes converted by this run and its wall time (resumed shards excluded). */
  convertedBytes: number;
  seconds: number;
  throughputBytesPerSec: number;
  quality: QualityReport;
  qualityMarkdown: string;
  warnings: string[];
  /** A flat summary for logs and the agent's run record. */
  summary: Record<string, string | number | boolean | null>;
}

export async function convertCheckpoint(
  options: ConvertCheckpointOptions,
  hooks: ConvertHooks = {},
): Promise<ConvertResult> {
  const o = resolveConvertOptions(options);
  const log = hooks.onLog ?? (() => undefined);
  if (o.src === o.dst)
    throw new ConvertError("INVALID_OPTIONS", `source and destination are the same directory (${o.src})`);

  const checkpoint = await Checkpoint.open(o.src);
  const plan = planCheckpoint(checkpoint, {
    family: o.family,
    quantizeAttention: o.quantizeAttention,
    ignore: o.ignore,
  });
  const layout = planOutputLayout(plan, o.format, o.shardSizeBytes);
  const inputScales = await resolveInputScales(o, layout);
  const configText = await readConfigText(checkpoint);
  const configs = buildQuantizationConfigs(o.format, layout.modules, plan.fp8Block.used);
  const planHash = computePlanHash(checkpoint, configText, layout, inputScales);
  const warnings = collectWarnings(o, layout, inputScales);

  const progress = new ProgressTracker(
    { bytes: checkpoint.tensorBytes, tensors: plan.tensors.length },
    hooks.onProgress ?? (() => undefined),
  );
  const previous = await prepareDestination(o.dst, planHash, o.overwrite);
  const manifest: Manifest = {
    format: "fp4kit-manifest",
    version: 1,
    planHash,
    shardCount: layout.shards.length,
    complete: false,
    shards: {},
  };
  const qualityByShard = new Map<string, TensorQuality[]>();
  const shards: ConvertedShard[] = [];
  for (const shard of layout.shards) {
    const kept = await keptShard(o.dst, shard, previous);
    if (kept === undefined) continue;
    manifest.shards[shard.file] = { bytes: kept.bytes, sha256: kept.sha256 };
    qualityByShard.set(shard.file, kept.quality);
    shards.push({ file: shard.file, bytes: kept.bytes, sha256: kept.sha256, resumed: true });
    progress.resumed({
      sourceBytes: shard.sourceBytes,
      tensors: tensorsOf(shard),
      outputBytes: shard.dataBytes,
    });
  }
  if (shards.length > 0)
    log(`resuming: ${shards.length} of ${layout.shards.length} shards already complete in ${o.dst}`);
  await writeManifest(o.dst, manifest);

  const selection = chooseKernel(o, layout);
  log(`NVFP4 kernel: ${selection.reason}`);
  for (const warning of warnings) {
    log(`WARNING: ${warning}`);
    progress.warning(warning);
  }

  const reader = new SourceReader(checkpoint);
  const fileOf = (t: TensorPlan) => checkpoint.shardPath(t.file);
  const todo = layout.shards.filter((s) => manifest.shards[s.file] === undefined);
  const consumers = new Set(
    todo.flatMap((s) => s.units.flatMap((u) => (u.kind === "quantize" ? [u.weight.name] : []))),
  );
  const loader = new Fp8Loader(
    reader,
    (w) => plan.byName.get(w.scale?.name ?? "") as TensorPlan,
    consumers,
    o.memoryBudgetBytes / 2,
  );
  const compute = new SerialQueue();
  const kernel: Nvfp4Kernel = selection.kernel;
  const context = {
    format: o.format,
    kernel,
    compute,
    reader,
    loader,
    globalScales: new GlobalScales(plan, loader, kernel, compute, fileOf),
    inputScales,
    fileOf,
    dst: o.dst,
    memoryBudgetBytes: o.memoryBudgetBytes,
    signal: hooks.signal,
    onUnitWritten: (unit: Parameters<typeof progress.unitWritten>[0]) => progress.unitWritten(unit),
  };

  progress.start();
  try {
    for (const shard of todo) {
      progress.shardStarted(shard.file);
      const written = await writeShard(context, shard);
      await writeShardQuality(o.dst, shard.file, written.sha256, written.quality);
      manifest.shards[shard.file] = { bytes: written.bytes, sha256: written.sha256 };
      await writeManifest(o.dst, manifest);
      qualityByShard.set(shard.file, written.quality);
      shards.push({ file: shard.file, bytes: written.bytes, sha256: written.sha256, resumed: false });
      progress.shardFinished(shard.file, "written");
    }
  } finally {
    await reader.close();
    kernel.dispose();
  }

  const quality = buildQualityReport(
    o.format,
    layout.shards.flatMap((s) => qualityByShard.get(s.file) ?? []),
    inputScales === undefined || inputScales.source.kind === "none" ? null : reportedInputScales(inputScales),
    warnings,
  );
  const qualityMarkdown = renderQualityMarkdown(quality);
  await writeSideFiles(checkpoint, o.dst, configText, layout, configs);
  await writeFileAtomic(join(o.dst, QUALITY_JSON_FILE), `${JSON.stringify(quality, null, 2)}\n`);
  await writeFileAtomic(join(o.dst, QUALITY_MARKDOWN_FILE), qualityMarkdown);
  manifest.complete = true;
  await writeManifest(o.dst, manifest);
  progress.done();

  shards.sort((a, b) => (a.file < b.file ? -1 : 1));
  const outputBytes = shards.reduce((s, x) => s + x.bytes, 0);
  const convertedBytes = todo.reduce((s, x) => s + x.sourceBytes, 0);
  const seconds = progress.elapsedSeconds;
  const throughput = seconds > 0 ? convertedBytes / seconds : 0;
  return {
    dst: o.dst,
    format: o.format,
    family: plan.family.family,
    kernel: { name: kernel.name, description: kernel.description, reason: selection.reason },
    shards,
    inputBytes: checkpoint.tensorBytes,
    outputBytes,
    convertedBytes,
    seconds,
    throughputBytesPerSec: throughput,
    quality,
    qualityMarkdown,
    warnings,
    summary: {
      format: o.format,
      family: plan.family.family,
      kernel: kernel.description,
      shards: shards.length,
      resumedShards: shards.filter((s) => s.resumed).length,
      inputBytes: checkpoint.tensorBytes,
      outputBytes,
      compressionRatio: outputBytes > 0 ? checkpoint.tensorBytes / outputBytes : null,
      quantizedTensors: quality.totals.quantizedTensors,
      relRmsError: quality.totals.relRmsError,
      maxRelRmsError: quality.totals.maxRelRmsError,
      throughputBytesPerSec: throughput,
      seconds,
      inputScales: quality.inputScales?.source ?? null,
    },
  };
}

async function resolveInputScales(
  o: ResolvedConvertOptions,
  layout: OutputLayout,
): Promise<InputScales | undefined> {
  if (o.format !== "modelopt") return undefined;
  if (o.calibrationFile !== undefined)
    return loadCalibrationFile(o.calibrationFile, layout.modules.quantized);
  if (o.inputScale !== undefined) return flagInputScales(o.inputScale);
  // The protocol schema already refuses this; kept so no path writes ModelOpt without input scales.
  throw new ConvertError(
    "INVALID_OPTIONS",
    "ModelOpt NVFP4 needs activation input scales: give a calibration file or an input scale",
  );
}

function reportedInputScales(scales: InputScales): QualityReport["inputScales"] {
  const s = scales.source;
  if (s.kind === "calibration") return { source: "calibration", value: null, file: s.file, warning: null };
  if (s.kind === "flag") return { source: "flag", value: s.value, file: null, warning: s.warning };
  return null;
}

function collectWarnings(
  o: ResolvedConvertOptions,
  layout: OutputLayout,
  inputScales: InputScales | undefined,
): string[] {
  const warnings: string[] = [];
  if (inputScales?.source.kind === "flag") warnings.push(inputScales.source.warning);
  const m = layout.modules;
  if (m.quantized.length === 0)
    warnings.push("no tensor is quantized to NVFP4 with these rules: the output is a copy of the source");
  if (m.mxfp4.length > 0) {
    warnings.push(
      `${m.mxfp4.length} MXFP4 weights (already 4-bit) are copied as they are; the output's quantization_config does not describe them, so engines need the source model's own MXFP4 handling (e.g. ${m.mxfp4[0]})`,
    );
  }
  const bf16 = layout.units.filter((u) => u.kind === "fp8-to-bf16").length;
  if (bf16 > 0) {
    warnings.push(
      `${bf16} kept FP8 weights are written as BF16 (${o.format === "modelopt" ? "ModelOpt NVFP4 has no FP8-block scheme; they are in exclude_modules" : "their per-tensor scale is not an FP8-block scheme"})`,
    );
  }
  if (o.gpus > 1) warnings.push(`--gpus ${o.gpus}: the CUDA kernel uses one GPU; the others stay idle`);
  return warnings;
}

const KERNEL_NAMES: Record<Exclude<KernelPreference, "auto">, Nvfp4KernelName> = {
  cuda: "cuda",
  cpu: "cpu-native",
  ts: "typescript",
};

function chooseKernel(o: ResolvedConvertOptions, layout: OutputLayout): KernelSelection {
  const threads = o.workers > 0 ? o.workers : undefined;
  if (o.kernel !== "auto") return selectKernel({ prefer: KERNEL_NAMES[o.kernel], require: true, threads });
  if (o.gpus > 0 && layout.modules.quantized.length > 0) return selectKernel({ prefer: "auto", threads });
  // CPU only (gpus 0, or nothing to quantize): the GPU is not even probed.
  try {
    return selectKernel({ prefer: "cpu-native", require: true, threads });
  } catch (error) {
    const fallback = selectKernel({ prefer: "typescript", require: true });
    return { ...fallback, reason: `${fallback.reason}; skipped cpu-native: ${(error as Error).message}` };
  }
}

function tensorsOf(shard: OutputShard): number {
  return shard.units.reduce((s, u) => s + u.sources.length, 0);
}

/** A shard complete from an earlier run of the same plan: right size, right bytes, quality on record. */
async function keptShard(dst: string, shard: OutputShard, previous: Manifest | undefined) {
  const record = previous?.shards[shard.file];
  if (record === undefined) return undefined;
  if (!(await shardMatches(join(dst, shard.file), record))) return undefined;
  const quality = await readShardQuality(dst, shard.file, record.sha256);
  if (quality === undefined) return undefined;
  return { ...record, quality };
}
