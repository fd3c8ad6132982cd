/**
 * File-system failures in the user's terms: one line naming the path and what to do, instead of
 * Node's error and stack. A write on an open file reports no path (a full disk, say): the
 * destination is named then.
 */
import { sep } from "node:path";
import { ConvertError } from "./errors.ts";

const ADVICE: Record<string, (path: string) => string> = {
  EROFS: (p) => `${p} is on a read-only file system: choose a destination on a writable disk`,
  EACCES: (p) => `${p}: permission denied: give this user access to it, or choose another path`,
  EPERM: (p) => `${p}: operation not permitted: give this user access to it, or choose another path`,
  ENOSPC: (p) =>
    `no space left on the disk of ${p}: free space or choose another destination (a re-run resumes from the complete shards)`,
  EDQUOT: (p) =>
    `disk quota exceeded on ${p}: free space or choose another destination (a re-run resumes from the complete shards)`,
  EEXIST: (p) => `${p} is a file where a folder is needed: move it away, or choose another destination`,
  ENOTDIR: (p) => `${p} goes through a file where a folder is needed: move it away, or choose another path`,
  EISDIR: (p) => `${p} is a folder where a file is needed: move it away, or choose another path`,
  ENOENT: (p) =>
    `${p}: no such file or folder (removed while fp4kit ran, or a folder that cannot be made there): check the path`,
  EMFILE: () => "too many open files: raise the limit (ulimit -n) and run again",
};

/** Failures of a whole disk, not of one file: the destination is named, not fp4kit's own file in it. */
const WHOLE_DISK = new Set(["EROFS", "ENOSPC", "EDQUOT"]);

/**
 * The ConvertError for a file-system error, or undefined when `error` is none of those.
 * @param dst the destination, named where the error names no path or a file fp4kit writes in it
 */
export function fileSystemError(error: unknown, dst: string): ConvertError | undefined {
  if (error instanceof ConvertError || !(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  const advice = code === undefined ? undefined : ADVICE[code];
  if (advice === undefined) return undefined;
  const wholeDiskInDestination = WHOLE_DISK.has(code as string) && path?.startsWith(dst + sep) === true;
  const file = path === undefined || wholeDiskInDestination ? dst : path;
  return new ConvertError("FILESYSTEM", advice(file), { file });
}
