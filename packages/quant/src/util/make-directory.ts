/** Folder creation shared by the converter and the synthetic checkpoint writer. */
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * mkdir -p that reports why it failed, made one level at a time from the deepest folder that
 * exists. Node's recursive mkdir answers ENOENT where a parent cannot be created (a read-only disk,
 * no permission) and never returns under a pseudo file system such as /proc, where mkdir answers
 * ENOENT although the parent exists; a plain mkdir of each missing level fails with the real reason.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  let path = dir;
  while (!(await exists(path))) {
    missing.unshift(path);
    if (dirname(path) === path) break;
    path = dirname(path);
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      // Made meanwhile by someone else (a second run into the same tree): fine if it is a folder.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !(await isDirectory(level))) throw error;
    }
  }
  if (!(await isDirectory(dir))) {
    throw Object.assign(new Error(`${dir} is not a directory`), { code: "EEXIST", path: dir });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
