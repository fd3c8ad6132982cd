/**
 * `generateCheckpoint`: writes a small (or, with `targetBytes`, multi-GB), deterministic FP8
 * checkpoint with the real naming and structure of DeepSeek V3 / V3.2 / V4: shards, index,
 * config.json, generation_config.json and tokenizer files. Tests and the demo use only these.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelFamily } from "../rules/types.ts";
import { tensorByteLength } from "../safetensors/dtypes.ts";
import { INDEX_FILE, SINGLE_FILE } from "../safetensors/json-files.ts";
import { SafetensorsWriter } from "../safetensors/writer.ts";
import { makeDirectory } from "../util/make-directory.ts";
import { generationConfig, modelConfigText, tokenizerConfig, tokenizerJson } from "./config-files.ts";
import { dimsForTargetBytes, profileDims, type SyntheticDims, type SyntheticProfile } from "./dims.ts";
import { streamTensor } from "./fill.ts";
import { hfDeepseekTensors } from "./layout-hf.ts";
import { deepseekV4Tensors, type V4Variant } from "./layout-v4.ts";
import type { TensorSpec } from "./specs.ts";

export interface GenerateOptions {
  family: ModelFamily;
  /** Output directory (created if missing; existing files of the same names are replaced). */
  dir: string;
  /** Same seed, same options → byte-identical files. Default 1. */
  seed?: number;
  /** V4 only: "fp8" (uniform FP8, default) or "mxfp4" (original release: MXFP4 routed experts). */
  variant?: V4Variant;
  /** Base dimensions when `targetBytes` is not given. Default "tiny". */
  profile?: Exclude<SyntheticProfile, "bench">;
  /**
   * Size knob: scale realistic dims (layers, then experts) to about this many tensor bytes; never
   * below one layer of those dims (about 0.5 GB).
   */
  targetBytes?: number;
  /** Overrides applied last (e.g. the real layer/expert count with "micro" dims). */
  layers?: number;
  routedExperts?: number;
  /** Number of shards; 1 writes a single model.safetensors without index. */
  shards?: number;
  onProgress?: (bytesWritten: number, totalBytes: number) => void;
}

export interface GeneratedCheckpoint {
  dir: string;
  family: ModelFamily;
  variant: V4Variant;
  dims: SyntheticDims;
  tensorCount: number;
  tensorBytes: number;
  /** Shard file names, in order. */
  shards: string[];
}

/** Shards of real checkpoints are a few GB; benchmarks get the same. */
const SHARD_TARGET_BYTES = 4 * 1024 ** 3;
const CHUNK_BYTES = 4 * 1024 * 1024;

export function syntheticTensors(family: ModelFamily, dims: SyntheticDims, variant: V4Variant): TensorSpec[] {
  if (family === "deepseek-v4") return deepseekV4Tensors(dims, variant);
  return hfDeepseekTensors(dims, { indexer: family === "deepseek-v3.2" });
}

export function resolveDims(options: GenerateOptions): SyntheticDims {
  const variant = options.variant ?? "fp8";
  const base =
    options.targetBytes === undefined
      ? profileDims(options.profile ?? "tiny")
      : dimsForTargetBytes(options.targetBytes, (d) =>
          totalBytes(syntheticTensors(options.family, d, variant)),
        );
  return {
    ...base,
    layers: options.layers ?? base.layers,
    routedExperts: options.routedExperts ?? base.routedExperts,
  };
}

/** The tensor bytes `generateCheckpoint` writes for these options, computed without writing. */
export function syntheticTensorBytes(options: GenerateOptions): number {
  return totalBytes(syntheticTensors(options.family, resolveDims(options), options.variant ?? "fp8"));
}

export async function generateCheckpoint(options: GenerateOptions): Promise<GeneratedCheckpoint> {
  const variant = options.variant ?? "fp8";
  if (variant === "mxfp4" && options.family !== "deepseek-v4") {
    throw new Error(
      `variant "mxfp4" exists only for deepseek-v4 (original V4 releases), not ${options.family}`,
    );
  }
  const seed = options.seed ?? 1;
  const dims = resolveDims(options);
  const specs = syntheticTensors(options.family, dims, variant);
  const total = totalBytes(specs);
  const groups = splitIntoShards(specs, options.shards ?? Math.max(3, Math.ceil(total / SHARD_TARGET_BYTES)));
  const files = groups.length === 1 ? [SINGLE_FILE] : groups.map((_, i) => shardFileName(i, groups.length));

  await makeDirectory(options.dir);
  const buffer = new Uint8Array(CHUNK_BYTES);
  let written = 0;
  for (const [i, group] of groups.entries()) {
    const writer = await SafetensorsWriter.create(join(options.dir, files[i] as string), group, {
      metadata: { format: "pt" },
    });
    try {
      for (const spec of group) {
        await streamTensor(spec, seed, buffer, async (chunk) => {
          await writer.write(spec.name, chunk);
          written += chunk.length;
          options.onProgress?.(written, total);
        });
      }
      await writer.finish();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  if (groups.length > 1) {
    const weightMap = groups.flatMap((group, i) =>
      group.map((spec) => [spec.name, files[i] as string] as const),
    );
    weightMap.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await writeJson(join(options.dir, INDEX_FILE), {
      metadata: { total_size: total },
      weight_map: Object.fromEntries(weightMap),
    });
  }
  await writeFile(join(options.dir, "config.json"), modelConfigText(options.family, dims, variant));
  await writeJson(join(options.dir, "generation_config.json"), generationConfig());
  await writeJson(join(options.dir, "tokenizer.json"), tokenizerJson());
  await writeJson(join(options.dir, "tokenizer_config.json"), tokenizerConfig());

  return {
    dir: options.dir,
    family: options.family,
    variant,
    dims,
    tensorCount: specs.length,
    tensorBytes: total,
    shards: files,
  };
}

function totalBytes(specs: readonly TensorSpec[]): number {
  return specs.reduce((sum, s) => sum + (tensorByteLength(s.dtype, s.shape) ?? 0), 0);
}

export function shardFileName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/**
 * Splits tensors, in order, into `count` shards of about equal bytes (each gets at least one
 * tensor). A weight and its scale may land in different shards, as in real checkpoints.
 */
function splitIntoShards(specs: readonly TensorSpec[], count: number): TensorSpec[][] {
  const n = Math.max(1, Math.min(count, specs.length));
  const total = totalBytes(specs);
  const shards: TensorSpec[][] = [];
  let current: TensorSpec[] = [];
  let accumulated = 0;
  specs.forEach((spec, i) => {
    const shardsStillToOpen = n - shards.length - 1;
    const boundary = (total * (shards.length + 1)) / n;
    const mustClose = specs.length - i <= shardsStillToOpen;
    if (current.length > 0 && shardsStillToOpen > 0 && (accumulated >= boundary || mustClose)) {
      shards.push(current);
      current = [];
    }
    current.push(spec);
    accumulated += tensorByteLength(spec.dtype, spec.shape) ?? 0;
  });
  shards.push(current);
  return shards;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
