/**
 * `fp4kit-manifest.json`: what a conversion into this directory has completed, so a re-run (after a
 * crash, kill -9 or Ctrl-C) skips finished shards and produces the same bytes as one uninterrupted
 * run. It records the plan hash (inputs + options that shape the output) and, per complete shard,
 * its size and SHA-256. Written atomically after each shard.
 *
 * Per-shard quality records go to `.fp4kit/quality/<shard>.json` (the full report is assembled from
 * them at the end), so a resumed run can report on shards it did not convert itself.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Mxfp4TensorQuality, TensorQuality } from "../quality/report.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { SourceFileSchema } from "./source-identity.ts";

export const MANIFEST_FILE = "fp4kit-manifest.json";
export const STATE_DIR = ".fp4kit";

export const ManifestShardSchema = z.object({
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const ManifestSchema = z.object({
  format: z.literal("fp4kit-manifest"),
  version: z.literal(1),
  planHash: z.string(),
  shardCount: z.number().int().nonnegative(),
  /** True once every shard and every non-tensor file (config, index, reports) is written. */
  complete: z.boolean(),
  shards: z.record(z.string(), ManifestShardSchema),
  /** The source files the shards were made from (absent in manifests of older versions). */
  source: z.array(SourceFileSchema).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestShard = z.infer<typeof ManifestShardSchema>;

/** Undefined when absent; throws on a file that is not a manifest (so nothing is overwritten by mistake). */
export async function readManifest(dst: string): Promise<Manifest | undefined> {
  const path = join(dst, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = ManifestSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new Error(
      `${path}: not an fp4kit manifest (${parsed.error.issues[0]?.message ?? "invalid"}); remove it or overwrite the destination (fp4kit convert --overwrite, or Overwrite in the New run form)`,
    );
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function writeManifest(dst: string, manifest: Manifest): Promise<void> {
  const sorted = {
    ...manifest,
    shards: Object.fromEntries(Object.entries(manifest.shards).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  await writeFileAtomic(join(dst, MANIFEST_FILE), `${JSON.stringify(sorted, null, 2)}\n`);
}

/** True when the file exists with exactly the recorded size and SHA-256. */
export async function shardMatches(path: string, expected: ManifestShard): Promise<boolean> {
  try {
    if ((await stat(path)).size !== expected.bytes) return false;
  } catch {
    return false;
  }
  return (await sha256File(path)) === expected.sha256;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

const ShardQualitySchema = z.object({
  shard: z.string(),
  sha256: z.string(),
  tensors: z.array(z.looseObject({})),
  mxfp4: z.array(z.looseObject({})).default([]),
});

/** The quality records of one shard's weights. */
export interface ShardQuality {
  tensors: TensorQuality[];
  mxfp4: Mxfp4TensorQuality[];
}

/** Where the per-shard quality records live. */
export function shardQualityDir(dst: string): string {
  return join(dst, STATE_DIR, "quality");
}

function qualityPath(dst: string, shard: string): string {
  return join(shardQualityDir(dst), `${shard}.json`);
}

export async function writeShardQuality(
  dst: string,
  shard: string,
  sha256: string,
  { tensors, mxfp4 }: ShardQuality,
): Promise<void> {
  await mkdir(shardQualityDir(dst), { recursive: true });
  await writeFileAtomic(qualityPath(dst, shard), `${JSON.stringify({ shard, sha256, tensors, mxfp4 })}\n`);
}

/** The quality records of a complete shard; undefined if missing or written for other bytes. */
export async function readShardQuality(
  dst: string,
  shard: string,
  sha256: string,
): Promise<ShardQuality | undefined> {
  try {
    const parsed = ShardQualitySchema.safeParse(JSON.parse(await readFile(qualityPath(dst, shard), "utf8")));
    if (!parsed.success || parsed.data.sha256 !== sha256) return undefined;
    return {
      tensors: parsed.data.tensors as unknown as TensorQuality[],
      mxfp4: parsed.data.mxfp4 as unknown as Mxfp4TensorQuality[],
    };
  } catch {
    return undefined;
  }
}
