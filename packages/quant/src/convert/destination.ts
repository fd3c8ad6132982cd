/**
 * Prepares the destination directory: a fresh one, or one holding an earlier attempt at the same
 * conversion (resumed), or — with overwrite — one holding something else (fp4kit's files removed).
 * Never deletes files it did not write unless overwrite is given.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PARTIAL_SUFFIX } from "../safetensors/writer.ts";
import { ConvertError } from "./errors.ts";
import { MANIFEST_FILE, type Manifest, readManifest, STATE_DIR, shardQualityDir } from "./manifest.ts";

export async function prepareDestination(
  dst: string,
  planHash: string,
  overwrite: boolean,
): Promise<Manifest | undefined> {
  await mkdir(dst, { recursive: true });
  let manifest: Manifest | undefined;
  try {
    manifest = await readManifest(dst);
  } catch (error) {
    if (!overwrite)
      throw new ConvertError("DESTINATION", (error as Error).message, { file: join(dst, MANIFEST_FILE) });
  }
  if (manifest !== undefined && manifest.planHash === planHash) {
    await removeIncompleteFiles(dst);
    return manifest;
  }
  const entries = await readdir(dst);
  if (!overwrite && manifest !== undefined) {
    throw new ConvertError(
      "DESTINATION",
      `${dst} holds another conversion (its manifest's plan hash ${manifest.planHash.slice(0, 12)}… differs from ${planHash.slice(0, 12)}…: another source, preset or options); use --overwrite to replace it, or another destination`,
      { file: join(dst, MANIFEST_FILE) },
    );
  }
  if (!overwrite && entries.length > 0) {
    throw new ConvertError(
      "DESTINATION",
      `${dst} is not empty and has no ${MANIFEST_FILE}: fp4kit did not write it; use --overwrite to convert into it anyway, or another destination`,
      { file: dst },
    );
  }
  await Promise.all(
    entries
      .filter(
        (name) =>
          name === MANIFEST_FILE ||
          name === STATE_DIR ||
          name.endsWith(".safetensors") ||
          name.endsWith(".safetensors.index.json"),
      )
      .map((name) => rm(join(dst, name), { recursive: true, force: true })),
  );
  await removeIncompleteFiles(dst);
  return undefined;
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
