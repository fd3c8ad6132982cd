/**
 * The module names an engine asks its quantization config about, derived from the checkpoint's
 * Linear modules by the engine's own renaming and fusion. Each list is data read from the engine's
 * model code (docs/engines.md cites file and commit per rule):
 *
 * - vLLM, DeepSeek V4 (deepseek_v4.py, deepseek_v4_mtp.py, deepseek_v4_attention.py,
 *   deepseek_compressor.py): `layers.` → `model.layers.`; `attn.wq_a` + `attn.wkv` are one Linear
 *   `attn.fused_wqa_wkv`, shared experts `w1` + `w3` are `gate_up_proj` and `w2` is `down_proj`, and
 *   the class has no packed_modules_mapping, so fused Linears are asked about by their fused names;
 *   routed experts are one FusedMoE per layer, asked about as `<experts>.0.gate_proj|up_proj|down_proj`
 *   (compressed_tensors_moe.py `get_moe_method`); the KV compressors' `fused_wkv_wgate` and the
 *   indexer's `weights_proj` are built with quant_config=None and never asked; MTP layer i is
 *   `model.layers.{num_hidden_layers + i}`, and its `e_proj` / `h_proj` are built without a prefix
 *   (asked about as "").
 * - vLLM, DeepSeek V3 / V3.2 (deepseek_v2.py): HF names under `model.layers.{L}`; `q_a_proj` +
 *   `kv_a_proj_with_mqa` are `self_attn.fused_qkv_a_proj` and gate + up are `gate_up_proj`, both in
 *   packed_modules_mapping (matched through their shard names); routed experts as above; the
 *   indexer's `weights_proj` and the router gate are built with quant_config=None.
 * - Checkpoint vocabulary (ModelOpt loaders whose exclusion patterns speak the checkpoint's names):
 *   every Linear by its checkpoint name, routed experts as one MoE per layer.
 */
import type { EngineModule } from "../formats/types.ts";

export type VocabularyId = "vllm-deepseek-v4" | "vllm-deepseek-hf" | "checkpoint";

export interface VocabularyInput {
  /** Checkpoint Linear modules (2-D `.weight` tensors without the suffix, embeddings excluded). */
  linearModules: readonly string[];
  /** config.json num_hidden_layers (MTP layers follow the main ones in vLLM's numbering). */
  numHiddenLayers: number | undefined;
}

/** vLLM's packed_modules_mapping for the HF DeepSeek layout (fused name → shard names). */
export const VLLM_DEEPSEEK_HF_PACKED: Record<string, string[]> = {
  gate_up_proj: ["gate_proj", "up_proj"],
  fused_qkv_a_proj: ["q_a_proj", "kv_a_proj_with_mqa"],
};

const MOE_PROJECTIONS: Record<string, string> = {
  w1: "gate_proj",
  w3: "up_proj",
  w2: "down_proj",
  gate_proj: "gate_proj",
  up_proj: "up_proj",
  down_proj: "down_proj",
};

export function engineModules(id: VocabularyId, input: VocabularyInput): EngineModule[] {
  switch (id) {
    case "vllm-deepseek-v4":
      return collect(input.linearModules, (m) => vllmV4Name(m, input.numHiddenLayers ?? inferLayers(input)));
    case "vllm-deepseek-hf":
      return collect(input.linearModules, vllmHfName);
    case "checkpoint":
      return collect(input.linearModules, checkpointName);
  }
}

type Naming = { name: string; kind: EngineModule["kind"] } | undefined;

function collect(modules: readonly string[], naming: (module: string) => Naming): EngineModule[] {
  const byName = new Map<string, EngineModule>();
  for (const module of modules) {
    const named = naming(module);
    if (named === undefined) continue;
    const entry = byName.get(named.name);
    if (entry === undefined)
      byName.set(named.name, { name: named.name, members: [module], kind: named.kind });
    else entry.members.push(module);
  }
  return [...byName.values()];
}

const V4_BLOCK = /^(layers|mtp)\.(\d+)\.(.+)$/;

function vllmV4Name(module: string, numHiddenLayers: number): Naming {
  if (/^mtp\.\d+\.(e_proj|h_proj)$/.test(module)) return { name: "", kind: "linear" };
  const block = V4_BLOCK.exec(module);
  if (block === null) return undefined; // head, embed: ParallelLMHead / VocabParallelEmbedding
  const [, kind, index, rest = ""] = block;
  const layer = kind === "layers" ? Number(index) : numHiddenLayers + Number(index);
  const prefix = `model.layers.${layer}`;
  const expert = /^ffn\.experts\.\d+\.(w[123])$/.exec(rest);
  if (expert !== null)
    return { name: `${prefix}.ffn.experts.0.${MOE_PROJECTIONS[expert[1] as string]}`, kind: "moe" };
  if (/^attn\.(wq_a|wkv)$/.test(rest)) return { name: `${prefix}.attn.fused_wqa_wkv`, kind: "linear" };
  if (/^attn\.(wq_b|wo_a|wo_b|indexer\.wq_b)$/.test(rest))
    return { name: `${prefix}.${rest}`, kind: "linear" };
  if (/^ffn\.shared_experts\.(w1|w3)$/.test(rest))
    return { name: `${prefix}.ffn.shared_experts.gate_up_proj`, kind: "linear" };
  if (rest === "ffn.shared_experts.w2")
    return { name: `${prefix}.ffn.shared_experts.down_proj`, kind: "linear" };
  // Compressors, indexer weights_proj, router gate: built with quant_config=None.
  return undefined;
}

function vllmHfName(module: string): Naming {
  if (!module.startsWith("model.layers.")) return undefined; // lm_head, embed_tokens
  const expert = /^(.*\.mlp\.experts)\.\d+\.(gate_proj|up_proj|down_proj)$/.exec(module);
  if (expert !== null) return { name: `${expert[1]}.0.${MOE_PROJECTIONS[expert[2] as string]}`, kind: "moe" };
  const qkvA = /^(.*\.self_attn)\.(q_a_proj|kv_a_proj_with_mqa)$/.exec(module);
  if (qkvA !== null) return { name: `${qkvA[1]}.fused_qkv_a_proj`, kind: "linear" };
  const gateUp = /^(.*\.mlp(?:\.shared_experts)?)\.(gate_proj|up_proj)$/.exec(module);
  if (gateUp !== null) return { name: `${gateUp[1]}.gate_up_proj`, kind: "linear" };
  if (/\.(mlp\.gate|indexer\.weights_proj|eh_proj|shared_head\.head)$/.test(module)) return undefined;
  return { name: module, kind: "linear" };
}

function checkpointName(module: string): Naming {
  const expert = /^(.*\.(?:ffn|mlp)\.experts)\.\d+\.[^.]+$/.exec(module);
  if (expert !== null) return { name: expert[1] as string, kind: "moe" };
  return { name: module, kind: "linear" };
}

function inferLayers(input: VocabularyInput): number {
  let layers = 0;
  for (const m of input.linearModules) {
    const hit = /^layers\.(\d+)\./.exec(m);
    if (hit !== null) layers = Math.max(layers, Number(hit[1]) + 1);
  }
  return layers;
}
