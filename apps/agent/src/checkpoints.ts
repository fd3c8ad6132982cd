/**
 * The checkpoints under the agent's data roots, for the New run form's picker: folders holding a
 * config.json beside safetensors weights (one file or an index), found breadth-first so that the
 * folders nearest the roots come first. A checkpoint's own subfolders are not searched, nor hidden
 * folders (fp4kit's .fp4kit state among them); unreadable folders are skipped.
 */
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type FoundCheckpoint, MAX_FOUND_CHECKPOINTS } from "@fp4kit/protocol";

/** Levels below a root searched: /root/org/model/variant is as deep as data layouts go. */
const MAX_DEPTH = 3;

function isCheckpoint(entries: readonly Dirent[]): boolean {
  const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  return (
    files.has("config.json") && (files.has("model.safetensors.index.json") || files.has("model.safetensors"))
  );
}

async function describe(dir: string, entries: readonly Dirent[]): Promise<FoundCheckpoint> {
  let quantization: string | null = null;
  try {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as {
      quantization_config?: { quant_method?: unknown };
    };
    const method = config.quantization_config?.quant_method;
    quantization = typeof method === "string" ? method : null;
  } catch {
    // Not JSON: still a folder the user may pick; inspect will say what is wrong with it.
  }
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile() && e.name.endsWith(".safetensors"))
      .map((e) =>
        stat(join(dir, e.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  );
  return { path: dir, quantization, weightBytes: sizes.reduce((a, b) => a + b, 0) };
}

export async function findCheckpoints(roots: readonly string[]): Promise<FoundCheckpoint[]> {
  const found: FoundCheckpoint[] = [];
  let level = [...roots];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (found.length >= MAX_FOUND_CHECKPOINTS) return found;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
      if (entries === null) continue;
      if (depth > 0 && isCheckpoint(entries)) {
        found.push(await describe(dir, entries));
        continue;
      }
      for (const entry of entries) {
        if (entry.isDirectory() && !entry.name.startsWith(".")) next.push(join(dir, entry.name));
      }
    }
    level = next.sort();
  }
  return found;
}
