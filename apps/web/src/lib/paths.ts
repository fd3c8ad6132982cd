/**
 * Path checks shared by the New run form and the server (so no node:path: this runs in browsers).
 * POSIX semantics: agents run on Linux GPU hosts.
 */

/** Resolves "." and ".." segments and duplicate slashes of an absolute path; null if not absolute. */
export function normalizeAbsolutePath(path: string): string | null {
  if (!path.startsWith("/")) return null;
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join("/")}`;
}

/**
 * Whether `path` lies inside one of the agent's data roots. Agents enforce this themselves; the web
 * checks it too so that a typo shows in the form instead of as a failed run minutes later.
 */
export function isUnderSomeRoot(path: string, roots: readonly string[]): boolean {
  const normalized = normalizeAbsolutePath(path);
  if (normalized === null) return false;
  return roots.some((root) => {
    const base = normalizeAbsolutePath(root);
    if (base === null) return false;
    return base === "/" || normalized === base || normalized.startsWith(`${base}/`);
  });
}

/** The folder name used as a run's model label: "/data/DeepSeek-V3-FP8/" → "DeepSeek-V3-FP8". */
export function modelLabelOf(sourcePath: string): string {
  const segments = sourcePath.split("/").filter(Boolean);
  return segments.at(-1) ?? sourcePath;
}
