/**
 * Where a conversion reads and writes, compared by real path (symbolic links and `..` resolved), so
 * that no option ever deletes or writes inside the source: a destination that is the source through
 * a link, a folder inside it, or a folder holding it, is refused before anything is touched.
 */
import { realpath } from "node:fs/promises";
import { basename, dirname, join, sep } from "node:path";
import { ConvertError } from "./errors.ts";

/** The real path of `path`; for a path that does not exist yet, its nearest existing ancestor's joined with the rest. */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const parent = dirname(path);
    if (code !== "ENOENT" || parent === path) throw error;
    return join(await realPathOf(parent), basename(path));
  }
}

function isInside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** Refuses a destination that is the source, inside it, or around it, once links are followed. */
export async function checkDestinationOutsideSource(src: string, dst: string): Promise<void> {
  const [realSrc, realDst] = await Promise.all([realPathOf(src), realPathOf(dst)]);
  const via = (path: string, real: string) => (path === real ? "" : ` (${path} leads to ${real})`);
  if (realDst === realSrc) {
    throw new ConvertError(
      "INVALID_OPTIONS",
      `the destination ${dst} is the source directory${via(dst, realDst)}${via(src, realSrc)}: choose a destination outside the source`,
      { file: dst },
    );
  }
  if (isInside(realDst, realSrc)) {
    throw new ConvertError(
      "INVALID_OPTIONS",
      `the destination ${dst} is inside the source ${src}${via(dst, realDst)}: the output would be written into the source (and taken along by a later conversion of it); choose a destination outside the source`,
      { file: dst },
    );
  }
  if (isInside(realSrc, realDst)) {
    throw new ConvertError(
      "INVALID_OPTIONS",
      `the source ${src} is inside the destination ${dst}${via(src, realSrc)}: the output would be written around the source (and --overwrite would clear files beside it); choose a destination that does not contain the source`,
      { file: dst },
    );
  }
}
