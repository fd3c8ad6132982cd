/**
 * Where nvcc is, for scripts/build-native.mjs and the test that checks what it built: $NVCC, then
 * the PATH, then the CUDA toolkit's usual places. Plain JavaScript: the build runs before tsx is
 * needed.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export function findNvcc() {
  if (process.env.NVCC && existsSync(process.env.NVCC)) return process.env.NVCC;
  const which = spawnSync("sh", ["-c", "command -v nvcc"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const p of ["/usr/local/cuda/bin/nvcc", "/opt/cuda/bin/nvcc"]) if (existsSync(p)) return p;
  return undefined;
}
