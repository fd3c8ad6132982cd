/**
 * Prepares the destination directory: a fresh one, or one holding an earlier attempt at the same
 * conversion (resumed), or — with overwrite — one holding something else (fp4kit's files removed).
 * Never deletes files it did not write unless overwrite is given. The caller holds the destination's
 * lock and has checked that it lies outside the source (paths.ts).
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { QUALITY_JSON_FILE, QUALITY_MARKDOWN_FILE } from "../quality/report.ts";
import { PARTIAL_SUFFIX } from "../safetensors/writer.ts";
import { LOCK_FILE } from "./destination-lock.ts";
import { ConvertError } from "./errors.ts";
import { MANIFEST_FILE, type Manifest, readManifest, STATE_DIR, shardQualityDir } from "./manifest.ts";
import { type SourceFile, sourceChange } from "./source-identity.ts";

/** The configuration files engines read beside the shards (config.json and the formats' side files). */
const LOADER_FILES = new Set(["config.json", "hf_quant_config.json", "quant_cfg.json"]);

/**
 * Reads what an earlier run left in the destination, which exists and is locked by this run.
 * @param source the source files now (a resume refuses a source that changed since)
 */
export async function prepareDestination(
  dst: string,
  planHash: string,
  source: readonly SourceFile[],
  overwrite: boolean,
): Promise<Manifest | undefined> {
  let manifest: Manifest | undefined;
  try {
    manifest = await readManifest(dst);
  } catch (error) {
    if (!overwrite)
      throw new ConvertError("DESTINATION", (error as Error).message, { file: join(dst, MANIFEST_FILE) });
  }
  if (manifest !== undefined && manifest.planHash === planHash) {
    const changed = manifest.source === undefined ? undefined : sourceChange(manifest.source, source);
    if (changed === undefined) {
      await removeIncompleteFiles(dst);
      return manifest;
    }
    if (!overwrite) {
      throw new ConvertError(
        "SOURCE_CHANGED",
        `the source changed since the conversion in ${dst} began: ${changed.what}; its complete shards would mix old and new data: run again with --overwrite to convert from the start`,
        { file: changed.file },
      );
    }
  }
  // The lock is this run's own (destination-lock.ts).
  const entries = (await readdir(dst)).filter((name) => name !== LOCK_FILE);
  if (!overwrite && manifest !== undefined) {
    throw new ConvertError(
      "DESTINATION",
      `${dst} holds another conversion (its manifest's plan hash ${manifest.planHash.slice(0, 12)}… differs from ${planHash.slice(0, 12)}…: another source, preset or options); overwrite the destination (fp4kit convert --overwrite, or Overwrite in the New run form) to replace it, or choose another destination`,
      { file: join(dst, MANIFEST_FILE) },
    );
  }
  if (!overwrite && entries.length > 0) {
    throw new ConvertError(
      "DESTINATION",
      `${dst} is not empty and has no ${MANIFEST_FILE}: fp4kit did not write it; overwrite the destination (fp4kit convert --overwrite, or Overwrite in the New run form) to convert into it anyway, or choose another destination`,
      { file: dst },
    );
  }
  // What a loader reads goes first: an overwrite interrupted after this point leaves a folder no
  // engine takes for a checkpoint, never an old config over new shards.
  const remove = (names: string[]) =>
    Promise.all(names.map((name) => rm(join(dst, name), { recursive: true, force: true })));
  await remove(entries.filter(readByLoaders));
  await remove(
    entries.filter((name) => name === MANIFEST_FILE || name === STATE_DIR || name.endsWith(".safetensors")),
  );
  await removeIncompleteFiles(dst);
  return undefined;
}

/** Files that make a folder look like a loadable checkpoint, or describe one (fp4kit's reports). */
function readByLoaders(name: string): boolean {
  return (
    LOADER_FILES.has(name) ||
    name.endsWith(".safetensors.index.json") ||
    name === QUALITY_JSON_FILE ||
    name === QUALITY_MARKDOWN_FILE
  );
}

/** Leftovers of a killed run: shards and small files that were never renamed into place. */
async function removeIncompleteFiles(dst: string): Promise<void> {
  for (const dir of [dst, shardQualityDir(dst)]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    const stray = names.filter((name) => name.endsWith(PARTIAL_SUFFIX) || name.endsWith(".tmp"));
    await Promise.all(stray.map((name) => rm(join(dir, name), { force: true })));
  }
}
