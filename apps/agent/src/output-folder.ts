import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { OutputFolderReply, OutputFolderRequest } from "@fp4kit/protocol";
import { type PathGuard, PathRefusedError } from "./path-guard.ts";

/** Bytes and files under `dir`, not following symlinks (a link counts as itself, never its target). */
async function measure(dir: string): Promise<{ sizeBytes: number; fileCount: number }> {
  let sizeBytes = 0;
  let fileCount = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await measure(path);
      sizeBytes += inner.sizeBytes;
      fileCount += inner.fileCount;
    } else {
      sizeBytes += (await lstat(path)).size;
      fileCount++;
    }
  }
  return { sizeBytes, fileCount };
}

/**
 * Measures or removes a run's output folder for the web app. Only a folder inside a data root is
 * touched, never a root itself, and a removal goes ahead only when the folder still has the size
 * the user was shown and confirmed.
 */
export async function outputFolder(
  guard: PathGuard,
  request: OutputFolderRequest,
): Promise<OutputFolderReply> {
  const path = await guard.resolve("Output folder", request.path);
  if (guard.roots.includes(path)) {
    throw new PathRefusedError(
      `"${path}" is a data root of this agent; only folders inside a root are removed`,
    );
  }
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (stat === null) return { path, exists: false, sizeBytes: 0, fileCount: 0, removed: false };
  if (!stat.isDirectory()) throw new PathRefusedError(`"${path}" is not a folder`);
  const { sizeBytes, fileCount } = await measure(path);
  if (!request.remove) return { path, exists: true, sizeBytes, fileCount, removed: false };
  if (request.confirmedBytes !== sizeBytes) {
    throw new PathRefusedError(
      `"${path}" now holds ${sizeBytes} bytes, not the ${request.confirmedBytes ?? 0} confirmed; nothing was removed`,
    );
  }
  await rm(path, { recursive: true });
  return { path, exists: true, sizeBytes, fileCount, removed: true };
}
