/**
 * The output's non-tensor files: config.json with its quantization_config replaced (every other
 * field kept, in order), hf_quant_config.json for ModelOpt, a fresh safetensors index, and every
 * other file of the source (tokenizer, generation_config, *.py, subfolders) copied byte for byte.
 */
import { cp, readdir, readFile, rm } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import type { Checkpoint } from "../safetensors/checkpoint.ts";
import { CONFIG_FILE, INDEX_FILE } from "../safetensors/json-files.ts";
import { PARTIAL_SUFFIX } from "../safetensors/writer.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { MANIFEST_FILE } from "./manifest.ts";
import type { OutputLayout } from "./output-layout.ts";
import type { QuantizationConfigs } from "./quant-config.ts";

export const HF_QUANT_CONFIG_FILE = "hf_quant_config.json";

/** Source files never copied: fp4kit rewrites them, or they describe the source's own quantization. */
const REWRITTEN = new Set([CONFIG_FILE, INDEX_FILE, HF_QUANT_CONFIG_FILE, MANIFEST_FILE]);

export async function readConfigText(checkpoint: Checkpoint): Promise<string | undefined> {
  try {
    return await readFile(join(checkpoint.dir, CONFIG_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** config.json with `quantization_config` replaced in place (or removed when nothing is quantized). */
export function rewriteConfig(configText: string, configs: QuantizationConfigs): string {
  const config = JSON.parse(configText) as Record<string, unknown>;
  const next = configs.quantizationConfig;
  const rewritten: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key !== "quantization_config") rewritten[key] = value;
    else if (next !== undefined) rewritten[key] = next;
  }
  if (next !== undefined && !Object.hasOwn(config, "quantization_config"))
    rewritten.quantization_config = next;
  return `${JSON.stringify(rewritten, null, 2)}\n`;
}

export function buildIndex(layout: OutputLayout): string {
  const weightMap: [string, string][] = [];
  for (const shard of layout.shards) {
    for (const unit of shard.units) for (const out of unit.outputs) weightMap.push([out.name, shard.file]);
  }
  weightMap.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify({ metadata: { total_size: layout.totalSize }, weight_map: Object.fromEntries(weightMap) }, null, 2)}\n`;
}

export async function writeSideFiles(
  checkpoint: Checkpoint,
  dst: string,
  configText: string | undefined,
  layout: OutputLayout,
  configs: QuantizationConfigs,
): Promise<void> {
  await copyOtherFiles(checkpoint, dst);
  await writeFileAtomic(join(dst, INDEX_FILE), buildIndex(layout));
  if (configText !== undefined)
    await writeFileAtomic(join(dst, CONFIG_FILE), rewriteConfig(configText, configs));
  if (configs.hfQuantConfig !== undefined) {
    await writeFileAtomic(
      join(dst, HF_QUANT_CONFIG_FILE),
      `${JSON.stringify(configs.hfQuantConfig, null, 2)}\n`,
    );
  } else {
    await rm(join(dst, HF_QUANT_CONFIG_FILE), { force: true });
  }
}

/**
 * Everything in the source except tensor files and the files rewritten here; hidden entries (e.g.
 * the Hugging Face download cache) and the destination itself, when it lies inside the source, are
 * skipped.
 */
async function copyOtherFiles(checkpoint: Checkpoint, dst: string): Promise<void> {
  for (const entry of await readdir(checkpoint.dir, { withFileTypes: true })) {
    const name = entry.name;
    const from = resolve(checkpoint.dir, name);
    if (name.startsWith(".") || REWRITTEN.has(name) || name.endsWith(".safetensors")) continue;
    if (name.endsWith(PARTIAL_SUFFIX) || name.startsWith("fp4kit-quality.")) continue;
    if (!entry.isFile() && !entry.isDirectory()) continue;
    if (from === dst || dst.startsWith(`${from}${sep}`)) continue;
    await cp(from, join(dst, name), {
      recursive: true,
      force: true,
      preserveTimestamps: true,
      // Inside folders too: no hidden entries, and no tensor files (e.g. a second copy of the weights).
      filter: (path) => !basename(path).startsWith(".") && !path.endsWith(".safetensors"),
    });
  }
}
