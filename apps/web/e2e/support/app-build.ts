import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Newest modification time of the files under `dir` (recursively). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the app unless `npm test` (turbo runs `build` first) already produced a build newer than
 * every source file: a second `next build` would cost half a minute on two cores.
 */
export function ensureAppBuilt(appDir: string): void {
  const buildId = join(appDir, ".next", "BUILD_ID");
  const sources = Math.max(
    newestMtime(join(appDir, "src")),
    statSync(join(appDir, "next.config.ts")).mtimeMs,
  );
  if (existsSync(buildId) && statSync(buildId).mtimeMs > sources) return;
  const result = spawnSync("npx", ["next", "build"], {
    cwd: appDir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}
