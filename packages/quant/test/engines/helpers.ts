/** Reads a converted checkpoint back as an engine would see it, for the engine-contract checks. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Engine, OutputFormat } from "@fp4kit/protocol";
import type { ContractInput, LinearModule, Storage } from "../../src/engines/check.ts";
import { planCheckpoint } from "../../src/rules/plan.ts";
import type { ModelFamily } from "../../src/rules/types.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";

export async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export interface ReadOutput {
  input: ContractInput;
  config: Record<string, unknown>;
  hfQuantConfig: Record<string, unknown> | undefined;
  quantCfg: Record<string, unknown> | undefined;
  tensors: ContractInput["tensors"];
}

/**
 * The output's files and tensor headers, and its Linears with the storage the output holds for
 * each, read from the tensors themselves (not from the converter's plan): packed NVFP4 codes,
 * FP8 E4M3 weights, or a plain weight.
 */
export async function readOutput(
  src: string,
  dst: string,
  engine: Engine,
  family: ModelFamily,
  format: OutputFormat,
): Promise<ReadOutput> {
  const source = planCheckpoint(await Checkpoint.open(src));
  const output = await Checkpoint.open(dst);
  const tensors = new Map(
    [...output.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape }]),
  );
  const linears: LinearModule[] = [];
  for (const t of source.tensors) {
    if (!t.name.endsWith(".weight") || t.shape.length !== 2 || t.category === "embedding") continue;
    const module = t.name.slice(0, -".weight".length);
    const [rows = 0, stored = 0] = t.shape;
    // MXFP4 sources hold two E2M1 values a byte.
    const cols = t.sourceFormat === "mxfp4" ? stored * 2 : stored;
    linears.push({ module, rows, cols, storage: storageOf(tensors, module) });
  }
  const config = (await readJson(join(dst, "config.json"))) ?? {};
  const hfQuantConfig = await readJson(join(dst, "hf_quant_config.json"));
  const quantCfg = await readJson(join(dst, "quant_cfg.json"));
  return {
    input: {
      engine,
      family,
      format,
      files: { config, sideFiles: { "hf_quant_config.json": hfQuantConfig, "quant_cfg.json": quantCfg } },
      tensors,
      linears,
      numHiddenLayers: config.num_hidden_layers as number | undefined,
      fp8Block: source.fp8Block.used,
    },
    config,
    hfQuantConfig,
    quantCfg,
    tensors,
  };
}

function storageOf(tensors: ContractInput["tensors"], module: string): Storage {
  if (tensors.has(`${module}.weight_packed`)) return "nvfp4";
  const weight = tensors.get(`${module}.weight`);
  if (weight?.dtype === "U8") return "nvfp4";
  if (weight?.dtype === "F8_E4M3") return "fp8-block";
  return "unquantized";
}
