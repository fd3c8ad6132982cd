/**
 * `convertCheckpoint`: FP8 checkpoint → NVFP4 checkpoint (compressed-tensors NVFP4A16 or ModelOpt
 * NVFP4), streaming, resumable, with a quality report. The steps:
 *   plan (rules preset) → output layout (units, shards) → destination check and resume →
 *   per shard: read + quantize + write, then manifest → config, index, other files, reports.
 */
import { join } from "node:path";
import type { ConvertedShard, Engine, OutputFormat } from "@fp4kit/protocol";
import { resolveEngineTarget } from "../engines/profile.ts";
import { outputFormat } from "../formats/index.ts";
import type { OutputFormatModule, QuantizationConfigs } from "../formats/types.ts";
import type { Nvfp4Kernel, Nvfp4KernelName } from "../nvfp4/kernel.ts";
import type { KernelSelection } from "../nvfp4/select-kernel.ts";
import {
  buildQualityReport,
  type Mxfp4TensorQuality,
  mxfp4SummaryLine,
  QUALITY_JSON_FILE,
  QUALITY_MARKDOWN_FILE,
  type QualityReport,
  renderQualityMarkdown,
  type TensorQuality,
} from "../quality/report.ts";
import { type CheckpointPlan, planCheckpoint } from "../rules/plan.ts";
import type { ModelFamily, TensorPlan } from "../rules/types.ts";
import { Checkpoint } from "../safetensors/checkpoint.ts";
import { makeDirectory } from "../util/make-directory.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { BufferPool } from "./buffer-pool.ts";
import { type InputScales, resolveInputScales } from "./calibration.ts";
import { ComputeQueue } from "./compute-queue.ts";
import { buildConfigs } from "./configs.ts";
import { prepareDestination } from "./destination.ts";
import { type DestinationLock, lockDestination } from "./destination-lock.ts";
import { ConvertError } from "./errors.ts";
import { Fp8Loader } from "./fp8-loader.ts";
import { fileSystemError } from "./fs-errors.ts";
import { GlobalScales } from "./global-scales.ts";
import { chooseKernel, warmUpGpus } from "./kernel-choice.ts";
import { cost } from "./lookahead.ts";
import {
  type Manifest,
  readShardQuality,
  shardMatches,
  writeManifest,
  writeShardQuality,
} from "./manifest.ts";
import {
  type ConvertCheckpointOptions,
  defaultMemoryBudget,
  defaultShardsInFlight,
  type ResolvedConvertOptions,
  resolveConvertOptions,
} from "./options.ts";
import { type OutputLayout, type OutputShard, type OutputUnit, planOutputLayout } from "./output-layout.ts";
import { checkDestinationOutsideSource } from "./paths.ts";
import { computePlanHash } from "./plan-hash.ts";
import { type ConvertProgressEvent, ProgressTracker } from "./progress.ts";
import {
  DEFAULT_MAX_STAGING_BLOCK_BYTES,
  type ShardWriterContext,
  type WrittenShard,
  writeShard,
} from "./shard-writer.ts";
import { readConfigText, writeSideFiles } from "./side-files.ts";
import { type SourceFile, sourceChange, sourceIdentity } from "./source-identity.ts";
import { SourceReader } from "./source-reader.ts";
import { StagingWorker } from "./staging-worker.ts";
import type { UnitProducerContext } from "./unit-producer.ts";
import { isStreamed } from "./unit-streamer.ts";
import { conversionWarnings } from "./warnings.ts";

export interface ConvertHooks {
  onProgress?: (event: ConvertProgressEvent) => void;
  /** Human-readable lines (kernel choice, resumed shards, warnings). */
  onLog?: (line: string) => void;
  /** Stops after the tensor in flight; complete shards are kept, so a re-run resumes. */
  signal?: AbortSignal;
  /**
   * The token of the destination lock this conversion takes (unique per conversion), for a caller
   * that may end the conversion's thread from outside and then frees the lock with
   * `releaseDestinationLock(dst, lockToken)`. Random when not given.
   */
  lockToken?: string;
}

export interface ConvertResult {
  dst: string;
  /** The engine the output is for, and the format written for it. */
  engine: Engine;
  format: OutputFormat;
  family: ModelFamily;
  kernel: { name: Nvfp4KernelName; description: string; reason: string };
  shards: ConvertedShard[];
  /** Source tensor bytes (FP8 input). */
  inputBytes: number;
  /** Output shard file bytes. */
  outputBytes: number;
  /** Source bytes converted by this run, and its time (resumed shards excluded). */
  convertedBytes: number;
  seconds: number;
  throughputBytesPerSec: number;
  quality: QualityReport;
  qualityMarkdown: string;
  timings: ConvertTimings;
  warnings: string[];
  /** A flat summary for logs and the agent's run record. */
  summary: Record<string, string | number | boolean | null>;
}

/**
 * Where a run's time went, in seconds, beside the converter's own timer (`seconds`, from the first
 * shard to the end): what a wall clock around the process sees on top of it.
 */
export interface ConvertTimings {
  /** From the start of the process (or worker thread) to the call: the runtime and module loading. */
  startup: number;
  /** Reading the source's headers, planning, taking the destination and checking what to resume. */
  planning: number;
  /** Loading and initialising the kernel: for CUDA, the GPUs' contexts and pinned buffers. */
  kernelSetup: number;
  /** Part of `seconds`: after the last shard, the quality report, side files and final manifest. */
  finishing: number;
}

/** A shard with the quality records of its tensors, written now or kept from an earlier run. */
interface DoneShard extends ConvertedShard {
  quality: TensorQuality[];
  mxfp4: Mxfp4TensorQuality[];
}

export async function convertCheckpoint(
  options: ConvertCheckpointOptions,
  hooks: ConvertHooks = {},
): Promise<ConvertResult> {
  const o = resolveConvertOptions(options);
  try {
    return await convertResolved(o, hooks);
  } catch (error) {
    throw fileSystemError(error, o.dst) ?? error;
  }
}

async function convertResolved(o: ResolvedConvertOptions, hooks: ConvertHooks): Promise<ConvertResult> {
  const log = hooks.onLog ?? (() => undefined);
  const called = performance.now();
  // The GPUs' contexts are created while the headers are read and the conversion planned.
  const gpusWarm = warmUpGpus(o);
  const { checkpoint, format, plan, layout, inputScales, configText, configs, planHash, warnings } =
    await planConversion(o).finally(() => gpusWarm);
  const progress = new ProgressTracker(
    { bytes: checkpoint.tensorBytes, tensors: plan.tensors.length },
    hooks.onProgress ?? (() => undefined),
  );
  // Before the destination is touched: a kernel that cannot run (--kernel cuda without a GPU)
  // leaves nothing behind.
  const kernelStart = performance.now();
  const selection = chooseKernel(o, layout.modules.quantized.length > 0);
  const kernelSeconds = (performance.now() - kernelStart) / 1000;
  const kernel = selection.kernel;
  const source = await sourceIdentity(checkpoint);
  let lock: DestinationLock | undefined;
  try {
    await makeDirectory(o.dst);
    lock = await lockDestination(o.dst, hooks.lockToken);
    if (lock.tookOver !== undefined) log(`destination lock: ${lock.tookOver}`);
    return await convertLocked(o, hooks, {
      checkpoint,
      format,
      plan,
      layout,
      inputScales,
      configText,
      configs,
      planHash,
      warnings,
      progress,
      selection,
      source,
      called,
      kernelSeconds,
    });
  } finally {
    kernel.dispose();
    await lock?.release();
  }
}

/** Reads the source's headers and decides everything about the output. */
async function planConversion(o: ResolvedConvertOptions) {
  const checkpoint = await Checkpoint.open(o.src);
  await checkDestinationOutsideSource(o.src, o.dst);
  const format = outputFormat(o.format);
  const plan = planCheckpoint(checkpoint, {
    family: o.family,
    quantizeAttention: o.quantizeAttention,
    ignore: o.ignore,
    familyOptions: format.presetOptions,
  });
  const target = resolveEngineTarget(o, plan.family.family);
  const layout = planOutputLayout(plan, format, o.shardSizeBytes, target.contract.unquantizedModules);
  const inputScales = await resolveInputScales(format, o, layout.modules.quantized);
  const configText = await readConfigText(checkpoint);
  const configs = buildConfigs(format, target, checkpoint, plan, layout);
  const planHash = computePlanHash(checkpoint, configText, layout, inputScales, configs);
  const warnings = [...target.warnings, ...conversionWarnings(o, layout, inputScales, configs)];
  return { checkpoint, format, plan, layout, inputScales, configText, configs, planHash, warnings };
}

/** Everything a conversion decided before it took its destination. */
interface ConversionPlan {
  checkpoint: Checkpoint;
  format: OutputFormatModule;
  plan: CheckpointPlan;
  layout: OutputLayout;
  inputScales: InputScales | undefined;
  configText: string;
  configs: QuantizationConfigs;
  planHash: string;
  warnings: string[];
  progress: ProgressTracker;
  selection: KernelSelection;
  source: SourceFile[];
  /** performance.now() when the conversion was called, and the kernel's set-up time. */
  called: number;
  kernelSeconds: number;
}

async function convertLocked(
  o: ResolvedConvertOptions,
  hooks: ConvertHooks,
  p: ConversionPlan,
): Promise<ConvertResult> {
  const log = hooks.onLog ?? (() => undefined);
  const { checkpoint, format, plan, layout, inputScales, configText, configs, planHash } = p;
  const { warnings, progress, selection, source } = p;
  const previous = await prepareDestination(o.dst, planHash, source, o.overwrite);
  const manifest: Manifest = {
    format: "fp4kit-manifest",
    version: 1,
    planHash,
    shardCount: layout.shards.length,
    complete: false,
    shards: {},
    source,
  };
  const done = new Map<string, DoneShard>();
  for (const shard of layout.shards) {
    const kept = await keptShard(o.dst, shard, previous);
    if (kept === undefined) continue;
    done.set(shard.file, kept);
    manifest.shards[shard.file] = { bytes: kept.bytes, sha256: kept.sha256 };
    progress.resumed({
      sourceBytes: shard.sourceBytes,
      tensors: tensorsOf(shard),
      outputBytes: shard.dataBytes,
    });
    progress.shardFinished(shard.file, "kept from an earlier run");
  }
  if (done.size > 0)
    log(`resuming: ${done.size} of ${layout.shards.length} shards already complete in ${o.dst}`);
  await writeManifest(o.dst, manifest);

  log(`NVFP4 kernel: ${selection.reason}`);
  for (const warning of warnings) {
    log(`WARNING: ${warning}`);
    progress.warning(warning);
  }

  const todo = layout.shards.filter((s) => !done.has(s.file));
  progress.start();
  const started = performance.now();
  const kernel = selection.kernel;
  const inFlight = Math.max(1, Math.min(todo.length, o.shardsInFlight ?? defaultShardsInFlight()));
  // A failed shard stops the others at their next unit; their partial files are removed.
  const failed = new AbortController();
  const signal = hooks.signal === undefined ? failed.signal : AbortSignal.any([hooks.signal, failed.signal]);
  const context = shardWriterContext(
    o,
    format,
    checkpoint,
    plan,
    todo,
    kernel,
    inputScales,
    progress,
    signal,
    inFlight,
  );
  const workers = Array.from({ length: inFlight }, () => new StagingWorker());
  // Manifest and quality files are rewritten as each shard completes, one write at a time.
  let recorded = Promise.resolve();
  const record = (written: WrittenShard) => {
    recorded = recorded.then(async () => {
      await writeShardQuality(o.dst, written.file, written.sha256, {
        tensors: written.quality,
        mxfp4: written.mxfp4,
      });
      manifest.shards[written.file] = { bytes: written.bytes, sha256: written.sha256 };
      await writeManifest(o.dst, manifest);
      done.set(written.file, { ...written, resumed: false });
      progress.shardFinished(written.file, "written");
    });
    return recorded;
  };
  const queue = [...todo];
  // The first failure is the cause; the other lanes' failures follow from stopping them.
  let failure: { error: unknown } | undefined;
  const lane = async (worker: StagingWorker) => {
    try {
      for (let shard = queue.shift(); shard !== undefined && failure === undefined; shard = queue.shift()) {
        progress.shardStarted(shard.file);
        await record(await writeShard(context, shard, worker));
      }
    } catch (error) {
      failure ??= { error };
      failed.abort();
    }
  };
  try {
    await Promise.all(workers.map(lane));
    if (failure !== undefined) throw failure.error;
  } finally {
    // Nothing of the run is in flight once it returns, stopped or failed: its caller may end the
    // thread right away (the agent does on a cancel).
    await context.producer.compute.close(new Error("the conversion stopped before this unit was computed"));
    await Promise.all([context.reader.close(), ...workers.map((w) => w.close())]);
    await context.producer.pool.close();
  }

  const shardsDone = performance.now();
  const shards = layout.shards.map((s) => done.get(s.file) as DoneShard);
  const quality = buildQualityReport(
    o.format,
    shards.flatMap((s) => s.quality),
    shards.flatMap((s) => s.mxfp4),
    inputScales === undefined ? null : reportedInputScales(inputScales),
    warnings,
  );
  if (quality.mxfp4.totals.tensors > 0) log(mxfp4SummaryLine(quality.mxfp4.totals));
  for (const warning of quality.warnings.slice(warnings.length)) progress.warning(warning);
  const qualityMarkdown = renderQualityMarkdown(quality);
  // A source rewritten while it was read leaves shards of two versions: nothing loadable is written.
  const changed = sourceChange(source, await sourceIdentity(checkpoint));
  if (changed !== undefined) {
    throw new ConvertError(
      "SOURCE_CHANGED",
      `the source changed during the conversion: ${changed.what}; the shards may mix old and new data: run again with --overwrite to convert from the start`,
      { file: checkpoint.shardPath(changed.file) },
    );
  }
  await writeSideFiles(checkpoint, o.dst, configText, layout, configs);
  await writeFileAtomic(join(o.dst, QUALITY_JSON_FILE), `${JSON.stringify(quality, null, 2)}\n`);
  await writeFileAtomic(join(o.dst, QUALITY_MARKDOWN_FILE), qualityMarkdown);
  manifest.complete = true;
  await writeManifest(o.dst, manifest);
  progress.done();

  const outputBytes = shards.reduce((s, x) => s + x.bytes, 0);
  const convertedBytes = todo.reduce((s, x) => s + x.sourceBytes, 0);
  const seconds = progress.elapsedSeconds;
  const throughput = seconds > 0 ? convertedBytes / seconds : 0;
  const timings: ConvertTimings = {
    startup: p.called / 1000,
    planning: (started - p.called) / 1000 - p.kernelSeconds,
    kernelSetup: p.kernelSeconds,
    finishing: (performance.now() - shardsDone) / 1000,
  };
  return {
    dst: o.dst,
    engine: o.engine,
    format: o.format,
    family: plan.family.family,
    kernel: { name: kernel.name, description: kernel.description, reason: selection.reason },
    shards: shards.map(({ quality: _, mxfp4: __, ...shard }) => shard),
    inputBytes: checkpoint.tensorBytes,
    outputBytes,
    convertedBytes,
    seconds,
    throughputBytesPerSec: throughput,
    quality,
    qualityMarkdown,
    timings,
    warnings: quality.warnings,
    summary: {
      engine: o.engine,
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
      mxfp4Tensors: quality.mxfp4.totals.tensors,
      mxfp4RoundedGroups: quality.mxfp4.totals.roundedGroups,
    },
  };
}

/**
 * Kernel calls in flight for kernels that do not ask for more (the CPU ones). One CPU call already
 * uses every core, but with one at a time the cores idle between calls: the next call starts
 * only after the main thread has seen the previous one finish, two calls per tensor. With two in
 * flight the next call is already waiting; measured about 10% faster on 2 cores.
 */
const CPU_KERNEL_CALLS_IN_FLIGHT = 2;

/** Everything the shard writer shares across the shards of one run. */
function shardWriterContext(
  o: ResolvedConvertOptions,
  format: OutputFormatModule,
  checkpoint: Checkpoint,
  plan: CheckpointPlan,
  todo: readonly OutputShard[],
  kernel: Nvfp4Kernel,
  inputScales: InputScales | undefined,
  progress: ProgressTracker,
  signal: AbortSignal | undefined,
  shardsInFlight: number,
): ShardWriterContext {
  const computed = todo.flatMap((s) => s.units.filter((u) => !isStreamed(u)));
  const budget =
    o.memoryBudgetBytes ??
    defaultMemoryBudget(
      kernel.name,
      computed.reduce((max, u) => Math.max(max, cost(u)), 0),
    );
  // In-flight buffers are bounded by the budget; idle ones kept for reuse by half of it, and group
  // members read ahead of their turn by the other half.
  const pool = new BufferPool(budget / 2, kernel.hostMemory);
  const reader = new SourceReader(checkpoint, pool);
  const fileOf = (t: TensorPlan) => checkpoint.shardPath(t.file);
  const consumers = new Set(computed.flatMap((u) => (u.kind === "quantize" ? [u.weight.name] : [])));
  const scaleOf = (w: TensorPlan) => plan.byName.get(w.scale?.name ?? "") as TensorPlan;
  const loader = new Fp8Loader(reader, scaleOf, consumers, budget / 2, pool);
  const compute = new ComputeQueue(o.computeConcurrency ?? kernel.concurrency ?? CPU_KERNEL_CALLS_IN_FLIGHT);
  const producer: UnitProducerContext = {
    format,
    kernel,
    compute,
    reader,
    pool,
    loader,
    globalScales: new GlobalScales(plan, reader, loader, kernel, compute, fileOf),
    inputScales,
    fileOf,
  };
  return {
    dst: o.dst,
    reader,
    producer,
    // Each shard in flight reads and computes ahead within its share of the budget.
    lookaheadBytes: budget / shardsInFlight,
    maxStagingBlockBytes: o.maxStagingBlockBytes ?? DEFAULT_MAX_STAGING_BLOCK_BYTES,
    signal,
    onUnitWritten: (unit: OutputUnit) => progress.unitWritten(unit),
  };
}

function reportedInputScales(scales: InputScales): QualityReport["inputScales"] {
  const s = scales.source;
  return s.kind === "calibration"
    ? { source: "calibration", value: null, file: s.file, warning: null }
    : { source: "flag", value: s.value, file: null, warning: s.warning };
}

function tensorsOf(shard: OutputShard): number {
  return shard.units.reduce((s, u) => s + u.sources.length, 0);
}

/** A shard complete from an earlier run of the same plan: right size, right bytes, quality on record. */
async function keptShard(
  dst: string,
  shard: OutputShard,
  previous: Manifest | undefined,
): Promise<DoneShard | undefined> {
  const record = previous?.shards[shard.file];
  if (record === undefined) return undefined;
  if (!(await shardMatches(join(dst, shard.file), record))) return undefined;
  const quality = await readShardQuality(dst, shard.file, record.sha256);
  if (quality === undefined) return undefined;
  return {
    file: shard.file,
    bytes: record.bytes,
    sha256: record.sha256,
    resumed: true,
    quality: quality.tensors,
    mxfp4: quality.mxfp4,
  };
}
