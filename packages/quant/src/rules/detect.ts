/**
 * Which preset a checkpoint needs: from config.json (`model_type`, then `architectures`) and
 * cross-checked against the tensor naming layout, which is what the rules actually match.
 */
import { join } from "node:path";
import { CheckpointFormatError } from "../safetensors/errors.ts";
import { CONFIG_FILE, type ModelConfig } from "../safetensors/json-files.ts";
import type { ModelFamily } from "./types.ts";

export type FamilySource = "option" | "config.model_type" | "config.architectures" | "tensor-names";

export interface DetectedFamily {
  family: ModelFamily;
  source: FamilySource;
}

const BY_MODEL_TYPE: Record<string, ModelFamily> = {
  deepseek_v3: "deepseek-v3",
  deepseek_v32: "deepseek-v3.2",
  deepseek_v4: "deepseek-v4",
};

const BY_ARCHITECTURE: Record<string, ModelFamily> = {
  DeepseekV3ForCausalLM: "deepseek-v3",
  DeepseekV32ForCausalLM: "deepseek-v3.2",
  DeepseekV4ForCausalLM: "deepseek-v4",
};

/** HF layout (V3/V3.2) vs DeepSeek's own layout (V4). */
type NamingLayout = "hf" | "deepseek";

const LAYOUT_OF: Record<ModelFamily, NamingLayout> = {
  "deepseek-v3": "hf",
  "deepseek-v3.2": "hf",
  "deepseek-v4": "deepseek",
};

interface NameEvidence {
  layout: NamingLayout | undefined;
  hasHfIndexer: boolean;
}

function nameEvidence(names: Iterable<string>): NameEvidence {
  let hf = false;
  let deepseek = false;
  let hasHfIndexer = false;
  // startsWith/includes rather than regexes: this runs over every tensor name.
  for (const name of names) {
    if (name.startsWith("model.layers.")) {
      hf = true;
      if (name.includes(".self_attn.indexer.")) hasHfIndexer = true;
    } else if (!deepseek && /^(layers|mtp)\.\d+\.(attn|ffn)\./.test(name)) {
      deepseek = true;
    }
  }
  // A checkpoint with both layouts is not one we know; let the config decide and the check fail.
  const layout = hf === deepseek ? undefined : hf ? "hf" : "deepseek";
  return { layout, hasHfIndexer };
}

export function detectFamily(
  dir: string,
  config: ModelConfig | undefined,
  tensorNames: Iterable<string>,
  forced?: ModelFamily,
): DetectedFamily {
  const evidence = nameEvidence(tensorNames);
  const fromConfig = familyFromConfig(config);
  const detected: DetectedFamily | undefined =
    forced !== undefined ? { family: forced, source: "option" } : (fromConfig ?? familyFromNames(evidence));
  if (detected === undefined) {
    throw new CheckpointFormatError({
      file: dir,
      expected:
        "a DeepSeek V3, V3.2 or V4 checkpoint (config.json model_type deepseek_v3 / deepseek_v32 / deepseek_v4, or their tensor names)",
      found: config?.model_type === undefined ? "neither" : `model_type "${config.model_type}"`,
    });
  }
  const expectedLayout = LAYOUT_OF[detected.family];
  if (evidence.layout !== expectedLayout) {
    throw new CheckpointFormatError({
      file: detected.source.startsWith("config") ? join(dir, CONFIG_FILE) : dir,
      expected: `tensor names in the ${expectedLayout === "hf" ? "HF layout (model.layers.{L}.self_attn/mlp)" : "DeepSeek layout (layers.{L}.attn/ffn)"} of ${detected.family} (from ${detected.source})`,
      found:
        evidence.layout === undefined
          ? "no recognizable layer names"
          : `names in the ${evidence.layout === "hf" ? "HF" : "DeepSeek"} layout`,
    });
  }
  return detected;
}

function familyFromConfig(config: ModelConfig | undefined): DetectedFamily | undefined {
  const byType = config?.model_type === undefined ? undefined : BY_MODEL_TYPE[config.model_type];
  if (byType !== undefined) return { family: byType, source: "config.model_type" };
  for (const architecture of config?.architectures ?? []) {
    const family = BY_ARCHITECTURE[architecture];
    if (family !== undefined) return { family, source: "config.architectures" };
  }
  return undefined;
}

function familyFromNames(evidence: NameEvidence): DetectedFamily | undefined {
  if (evidence.layout === "deepseek") return { family: "deepseek-v4", source: "tensor-names" };
  if (evidence.layout === "hf") {
    return { family: evidence.hasHfIndexer ? "deepseek-v3.2" : "deepseek-v3", source: "tensor-names" };
  }
  return undefined;
}
