import { join } from "node:path";
import { REPO_ROOT } from "@fp4kit/db/paths";
import { startChild } from "./child-process.ts";
import type { Lifecycle } from "./lifecycle.ts";

/**
 * Builds the web app and everything it depends on (the Prisma client included) through turbo,
 * whose cache makes every start after the first one take about a second.
 */
export async function buildProduct(lifecycle: Lifecycle): Promise<void> {
  const turbo = join(REPO_ROOT, "node_modules", ".bin", "turbo");
  const build = startChild(
    "build",
    turbo,
    ["run", "build", "--filter=@fp4kit/web...", "--output-logs=errors-only"],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    },
  );
  lifecycle.add("build", build.stop);
  lifecycle.onHurry(build.kill);
  const { code, signal } = await build.exited;
  if (code !== 0) throw new Error(`the build failed (${signal ?? `exit code ${code}`})`);
}
