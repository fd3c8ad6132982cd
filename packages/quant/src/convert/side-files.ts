/**
 * The output's non-tensor files: config.json with its quantization_config replaced and the fields
 * the format sets for its engines (every other field kept, in order), the format's JSON side files
 * (hf_quant_config.json, quant_cfg.json), a fresh safetensors index, and every other file of the
 * source (tokenizer, generation_config, *.py, subfolders) copied byte for byte.
 */

import { cp, readdir, readFile, rm } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { applyEdits, modify } from "jsonc-parser";
import { HF_QUANT_CONFIG_FILE, QUANT_CFG_FILE } from "../formats/modelopt.ts";
import type { QuantizationConfigs } from "../formats/types.ts";
import type { Checkpoint } from "../safetensors/checkpoint.ts";
import { CONFIG_FILE, INDEX_FILE } from "../safetensors/json-files.ts";
import { PARTIAL_SUFFIX } from "../safetensors/writer.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { ConvertError } from "./errors.ts";
import { MANIFEST_FILE } from "./manifest.ts";
import type { OutputLayout } from "./output-layout.ts";

/** Side files a format may write; a source's own copies describe the source's quantization. */
const FORMAT_SIDE_FILES = [HF_QUANT_CONFIG_FILE, QUANT_CFG_FILE];

/** Source files never copied: fp4kit rewrites them, or they describe the source's own quantization. */
const REWRITTEN = new Set([CONFIG_FILE, INDEX_FILE, MANIFEST_FILE, ...FORMAT_SIDE_FILES]);

/**
 * The source's config.json. A conversion without one is refused: engines read the architecture and
 * the quantization from it, so an output without config.json loads nowhere.
 */
export async function readConfigText(checkpoint: Checkpoint): Promise<string> {
  const path = join(checkpoint.dir, CONFIG_FILE);
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new ConvertError(
      "SOURCE_FILES",
      `${checkpoint.dir} has no config.json: engines read the model's architecture and quantization from it, so the output would load nowhere; put the source model's config.json beside its shards`,
      { file: path },
    );
  }
}

/**
 * config.json with `quantization_config` replaced in place (or removed when nothing is quantized)
 * and the format's top-level fields set (in place when present, else appended). The source's text
 * is edited, not re-serialised: every other value keeps its exact spelling, since a float written
 * as `10.0` that came back as `10` fails transformers' typed config classes (e.g. DeepSeek-V4's
 * `swiglu_limit`).
 */
export function rewriteConfig(configText: string, configs: QuantizationConfigs): string {
  const config = JSON.parse(configText) as Record<string, unknown>;
  const formattingOptions = { insertSpaces: true, tabSize: 2, eol: "\n" };
  const set = (text: string, key: string, value: unknown) =>
    applyEdits(text, modify(text, [key], value, { formattingOptions }));
  let text = configText;
  const next = configs.quantizationConfig;
  if (next !== undefined || Object.hasOwn(config, "quantization_config"))
    text = set(text, "quantization_config", next);
  for (const [key, value] of Object.entries(configs.configFields)) text = set(text, key, value);
  return text.endsWith("\n") ? text : `${text}\n`;
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
  configText: string,
  layout: OutputLayout,
  configs: QuantizationConfigs,
): Promise<void> {
  await copyOtherFiles(checkpoint, dst);
  await writeFileAtomic(join(dst, INDEX_FILE), buildIndex(layout));
  await writeFileAtomic(join(dst, CONFIG_FILE), rewriteConfig(configText, configs));
  for (const file of FORMAT_SIDE_FILES) {
    const json = configs.sideFiles[file];
    if (json === undefined) await rm(join(dst, file), { force: true });
    else await writeFileAtomic(join(dst, file), `${JSON.stringify(json, null, 2)}\n`);
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
