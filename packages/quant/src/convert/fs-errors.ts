/**
 * File-system failures in the user's terms: one line naming the path and what to do, instead of
 * Node's error and stack. A write on an open file reports no path (a full disk, say): the
 * destination is named then.
 */
import { ConvertError } from "./errors.ts";

const ADVICE: Record<string, (path: string) => string> = {
  EROFS: (p) => `${p} is on a read-only file system: choose a destination on a writable disk`,
  EACCES: (p) => `${p}: permission denied: change its permissions, or choose a path this user may write`,
  EPERM: (p) => `${p}: operation not permitted: change its permissions, or choose a path this user may write`,
  ENOSPC: (p) =>
    `no space left on the disk of ${p}: free space or choose another destination (a re-run resumes from the complete shards)`,
  EDQUOT: (p) =>
    `disk quota exceeded on ${p}: free space or choose another destination (a re-run resumes from the complete shards)`,
  EEXIST: (p) => `${p} is a file where a folder is needed: move it away, or choose another destination`,
  ENOTDIR: (p) => `${p} goes through a file where a folder is needed: move it away, or choose another path`,
  EISDIR: (p) => `${p} is a folder where a file is needed: move it away, or choose another path`,
  EMFILE: () => "too many open files: raise the limit (ulimit -n) and run again",
};

/** The ConvertError for a file-system error, or undefined when `error` is none of those. */
export function fileSystemError(error: unknown, fallbackPath: string): ConvertError | undefined {
  if (error instanceof ConvertError || !(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  const advice = code === undefined ? undefined : ADVICE[code];
  if (advice === undefined) return undefined;
  const file = path ?? fallbackPath;
  return new ConvertError("FILESYSTEM", advice(file), { file });
}
