/**
 * Options of `convertCheckpoint`. The conversion knobs are @fp4kit/protocol's ConvertOptionsSchema
 * (the single source of truth shared with the web UI and the agent); this module adds what only a
 * local run has (paths, kernel choice) and validates the combination.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { ConvertOptionsSchema, type Engine, engineFormat, type OutputFormat } from "@fp4kit/protocol";
import type { z } from "zod";
import type { Nvfp4KernelName } from "../nvfp4/kernel.ts";
import type { ModelFamily } from "../rules/types.ts";
import { ConvertError } from "./errors.ts";

/** Conversion knobs as a caller may give them (defaults not yet applied). */
export type ConvertOptionsInput = z.input<typeof ConvertOptionsSchema>;

export const KERNEL_PREFERENCES = ["auto", "cuda", "cpu", "ts"] as const;
/** auto: the fastest usable kernel; cuda / cpu (C++ addon) / ts (TypeScript reference): exactly that one. */
export type KernelPreference = (typeof KERNEL_PREFERENCES)[number];

export interface ConvertCheckpointOptions extends ConvertOptionsInput {
  /** FP8 checkpoint directory. */
  src: string;
  /** Output directory (created). A re-run into the same directory resumes. */
  dst: string;
  kernel?: KernelPreference;
  /** Use this family's preset instead of detecting it. */
  family?: ModelFamily;
  /**
   * Bytes of source + output data the pipeline may hold for tensors being read, computed or
   * waiting to be written (at least one tensor is always allowed). Default: 512 MiB for the CUDA
   * pipeline, 128 MiB for the CPU kernels (up to 512 MiB to hold two of the largest units).
   */
  memoryBudgetBytes?: number;
  /**
   * Kernel calls in flight at once. Default: what the kernel asks for (GPUs × tensors per GPU for
   * the CUDA pipeline), else 2 (the CPU kernels). The output does not depend on it.
   */
  computeConcurrency?: number;
  /**
   * Output shards written at once, each with its own writer and staging worker (copies into the
   * staging blocks, SHA-256). Default: one per 2 cores, 1 to 16. The output does not depend on it.
   */
  shardsInFlight?: number;
  /**
   * Largest staging block of a shard's writer: NVFP4 units whose outputs fit in one, with a page to
   * spare, are quantized straight into it; larger ones into pooled buffers, then copied in.
   * Default 16 MiB (blocks are at least 8 MiB). The output does not depend on it.
   */
  maxStagingBlockBytes?: number;
}

export interface ResolvedConvertOptions {
  src: string;
  dst: string;
  engine: Engine;
  /** The format given, else the engine's. */
  format: OutputFormat;
  /** Write a combination the engine does not load (its reason becomes a warning). */
  force: boolean;
  /** CPU threads for the native kernel; 0 = all cores. */
  workers: number;
  /** 0 = CPU kernels only; ≥ 1 = try CUDA first, spread over GPUs 0..gpus-1. */
  gpus: number;
  shardSizeBytes: number;
  ignore: string[];
  /** undefined = the family preset's default (on for V3/V3.2, off for V4). */
  quantizeAttention: boolean | undefined;
  inputScale: number | undefined;
  calibrationFile: string | undefined;
  kernel: KernelPreference;
  overwrite: boolean;
  family: ModelFamily | undefined;
  /** undefined = `defaultMemoryBudget` for the kernel chosen. */
  memoryBudgetBytes: number | undefined;
  computeConcurrency: number | undefined;
  /** undefined = `defaultShardsInFlight()`. */
  shardsInFlight: number | undefined;
  /** undefined = the shard writer's default. */
  maxStagingBlockBytes: number | undefined;
}

const MiB = 1024 * 1024;

const CUDA_MEMORY_BUDGET = 512 * MiB;

/**
 * The in-flight budget when none is given. The CUDA pipeline keeps GPUs × 3 tensors in flight and
 * gets 512 MiB. The CPU kernels run two calls at a time and reading outpaces them, so a small
 * window keeps them as busy, and touches less fresh memory (page faults cost CPU time the kernels
 * need): 128 MiB measured about 5% faster than 512 MiB on 2 cores. It grows to hold two of the
 * largest units (source + output bytes), so reading the next one overlaps computing the current,
 * but never past the CUDA budget.
 */
export function defaultMemoryBudget(kernel: Nvfp4KernelName, largestUnitBytes: number): number {
  if (kernel === "cuda") return CUDA_MEMORY_BUDGET;
  return Math.max(128 * MiB, Math.min(2 * largestUnitBytes, CUDA_MEMORY_BUDGET));
}

/**
 * Shards written at once when none is given. Each costs about one core at full speed (its staging
 * threads copy outputs and hash the file at ~1.3 GB/s), and the kernels, reads and writes need
 * cores too: one shard per 2 cores, at least 1, at most 16. A checkpoint with fewer output shards
 * than that writes them all at once, so none is left to finish alone at one shard's pace.
 */
export function defaultShardsInFlight(cores = availableParallelism()): number {
  return Math.max(1, Math.min(16, Math.floor(cores / 2)));
}

export function resolveConvertOptions(options: ConvertCheckpointOptions): ResolvedConvertOptions {
  const {
    src,
    dst,
    kernel,
    family,
    memoryBudgetBytes,
    computeConcurrency,
    shardsInFlight,
    maxStagingBlockBytes,
    ...knobs
  } = options;
  const parsed = ConvertOptionsSchema.safeParse(knobs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw new ConvertError(
      "INVALID_OPTIONS",
      `invalid conversion options: ${at}${issue?.message ?? "invalid"}`,
    );
  }
  const o = parsed.data;
  if (src.trim() === "" || dst.trim() === "") {
    throw new ConvertError("INVALID_OPTIONS", "both a source and a destination directory are needed");
  }
  if (memoryBudgetBytes !== undefined && !(memoryBudgetBytes > 0)) {
    throw new ConvertError(
      "INVALID_OPTIONS",
      `the memory budget must be above zero bytes, got ${memoryBudgetBytes} (--memory-budget, e.g. 512MiB)`,
    );
  }
  if (maxStagingBlockBytes !== undefined && !(maxStagingBlockBytes > 0)) {
    throw new ConvertError(
      "INVALID_OPTIONS",
      `maxStagingBlockBytes must be above zero bytes, got ${maxStagingBlockBytes} (e.g. 16 MiB: 16777216)`,
    );
  }
  return {
    src: resolve(src),
    dst: resolve(dst),
    engine: o.engine,
    format: engineFormat(o.engine, o.format),
    force: o.force,
    workers: o.workers,
    gpus: o.gpus,
    shardSizeBytes: o.shardSizeBytes,
    ignore: o.ignore,
    // The schema defaults this to false; only an explicit value may override the preset's default.
    quantizeAttention: knobs.quantizeAttention,
    inputScale: o.inputScale,
    calibrationFile: o.calibrationFile === undefined ? undefined : resolve(o.calibrationFile),
    kernel: kernel ?? "auto",
    overwrite: o.overwrite,
    family,
    memoryBudgetBytes,
    computeConcurrency,
    shardsInFlight,
    maxStagingBlockBytes,
  };
}
