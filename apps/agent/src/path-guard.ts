import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

export class PathRefusedError extends Error {
  override name = "PathRefusedError";
}

/**
 * Confines job paths to the agent's data roots. A path is accepted only if its real location —
 * `..` collapsed, every existing symlink followed — lies inside the real location of a root, so
 * neither `/data/../etc` nor `/data/link-to-etc/x` gets out. Paths that do not exist yet (a
 * destination) are judged by the real path of their nearest existing ancestor.
 */
export class PathGuard {
  private constructor(readonly roots: readonly string[]) {}

  /** Resolves the roots once; a root that does not exist is a configuration error. */
  static async create(roots: readonly string[]): Promise<PathGuard> {
    const real = await Promise.all(
      roots.map(async (root) => {
        try {
          return await realpath(resolve(root));
        } catch (err) {
          throw new Error(
            `data root ${root} is not accessible: ${(err as NodeJS.ErrnoException).code ?? err}`,
          );
        }
      }),
    );
    return new PathGuard(real);
  }

  /** The real path of `path` (what the job must use), or PathRefusedError saying why not. */
  async resolve(label: string, path: string): Promise<string> {
    if (path.includes("\0")) throw new PathRefusedError(`${label} contains a NUL byte`);
    if (!isAbsolute(path)) throw new PathRefusedError(`${label} must be an absolute path, got "${path}"`);
    const real = await realpathOfNearestAncestor(path);
    if (!this.roots.some((root) => isInside(real, root))) {
      const shown = real === path ? `"${path}"` : `"${path}" (resolves to "${real}")`;
      throw new PathRefusedError(
        `${label} ${shown} is outside the allowed data roots: ${this.roots.join(", ")}`,
      );
    }
    return real;
  }
}

export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

async function realpathOfNearestAncestor(path: string): Promise<string> {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      return join(await realpath(current), ...missing.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        throw new PathRefusedError(`cannot resolve "${current}": ${(err as Error).message}`);
      // realpath fails on a dangling symlink too; that one could later point anywhere.
      const isLink = await lstat(current).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      if (isLink) throw new PathRefusedError(`"${current}" is a symlink to a missing target`);
      const parent = dirname(current);
      if (parent === current) return join(current, ...missing.reverse());
      missing.push(basename(current));
      current = parent;
    }
  }
}
