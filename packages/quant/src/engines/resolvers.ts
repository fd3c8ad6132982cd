/**
 * How each engine decides the scheme of a module from the files an output holds: its quantization
 * method dispatch, target and ignore matching, fused-module and MoE lookups, re-implemented from
 * the engine's source (docs/engines.md cites each rule). They read the written config.json and
 * side files only, never the converter's own lists, so a contract test that runs them checks the
 * output the way the engine would.
 */
import { globMatches } from "../formats/modelopt.ts";
import type { EngineModule } from "../formats/types.ts";

/**
 * What an engine builds for a module, i.e. the storage its loader then expects: NVFP4, FP8 block,
 * unquantized (BF16), or whatever the checkpoint stores for it (FP8 block or BF16, untouched).
 */
export type Scheme = "nvfp4" | "fp8-block" | "unquantized" | "as-stored";

export type Resolution = { scheme: Scheme; via: string } | { error: string };

/** The files of an output an engine reads to decide schemes. */
export interface OutputConfigFiles {
  config: Record<string, unknown>;
  sideFiles: Record<string, Record<string, unknown> | undefined>;
}

export type ResolverId =
  | "vllm-compressed-tensors"
  | "modelopt-nvfp4"
  | "vllm-deepseek-v4-fp8"
  | "sglang-hybrid-fp8-nvfp4"
  | "trtllm-modelopt";

export interface ResolverOptions {
  /** The model class's packed_modules_mapping (fused name → shard names). */
  packedModules?: Record<string, string[]>;
  /** The model's WeightsMapper, applied by vLLM to compressed-tensors targets and ignore. */
  mapper?: WeightsMapperRules;
}

export type Resolver = (
  files: OutputConfigFiles,
  modules: readonly EngineModule[],
) => Map<string, Resolution>;

export function resolver(id: ResolverId, options: ResolverOptions = {}): Resolver {
  switch (id) {
    case "vllm-compressed-tensors":
      return (files, modules) => vllmCompressedTensors(files, modules, options);
    case "modelopt-nvfp4":
      return (files, modules) => modelOptNvfp4(files, modules, options);
    case "vllm-deepseek-v4-fp8":
      return vllmDeepseekV4Fp8;
    case "sglang-hybrid-fp8-nvfp4":
      return sglangHybrid;
    case "trtllm-modelopt":
      return trtllmModelOpt;
  }
}

// ---------------------------------------------------------------------------------------------
// vLLM compressed-tensors: CompressedTensorsConfig.from_config / get_scheme / get_scheme_dict,
// utils.py should_ignore_layer / find_matched_target / _is_equal_or_regex_match (re.match),
// CompressedTensorsMoEMethod.get_moe_method (asks `<experts>.0.gate_proj|up_proj|down_proj`).

/** vLLM's WeightsMapper fields, as `apply_vllm_mapper` applies them to targets and ignore entries. */
export interface WeightsMapperRules {
  substr: [string, string][];
  prefix: [string, string][];
  suffix: [string, string][];
  regex: [RegExp, string][];
}

export function applyMapper(name: string, mapper: WeightsMapperRules | undefined): string {
  if (mapper === undefined) return name;
  let key = name;
  for (const [from, to] of mapper.substr) if (key.includes(from)) key = key.replace(from, to);
  for (const [from, to] of mapper.prefix) if (key.startsWith(from)) key = to + key.slice(from.length);
  for (const [from, to] of mapper.suffix) if (key.endsWith(from)) key = key.slice(0, -from.length) + to;
  for (const [re, to] of mapper.regex) if (re.test(key)) key = key.replace(re, to);
  return key;
}

/** `_is_equal_or_regex_match`: `re:` entries with re.match (anchored at the start), else equality. */
export function ctEntryMatches(entry: string, name: string): boolean {
  if (entry.startsWith("re:")) return new RegExp(`^(?:${entry.slice(3)})`).test(name);
  return entry === name;
}

/** What a config group's weights and input activations make vLLM build, or why it cannot. */
type CtGroupScheme = { scheme: Scheme } | { error: string };

interface CtTarget {
  /** The entry after vLLM's WeightsMapper. */
  entry: string;
  /** The entry as written in the config. */
  written: string;
  group: CtGroupScheme;
}

function ctSchemeOf(group: Record<string, unknown>): CtGroupScheme {
  const w = group.weights as Record<string, unknown> | null | undefined;
  if (w === null || w === undefined) return { error: "group without weights" };
  const a = group.input_activations as Record<string, unknown> | null | undefined;
  const nvfp4 = (q: Record<string, unknown>) =>
    q.num_bits === 4 &&
    q.type === "float" &&
    q.strategy === "tensor_group" &&
    q.group_size === 16 &&
    q.symmetric === true;
  if (nvfp4(w)) {
    if (a === null || a === undefined || nvfp4(a)) return { scheme: "nvfp4" };
    return { error: "NVFP4 weights need NVFP4 or no input activations" };
  }
  if (w.num_bits === 8 && w.type === "float" && w.strategy === "block") return { scheme: "fp8-block" };
  return { error: `unsupported weights ${JSON.stringify(w)}` };
}

function vllmCompressedTensors(
  files: OutputConfigFiles,
  modules: readonly EngineModule[],
  options: ResolverOptions,
): Map<string, Resolution> {
  const qc = files.config.quantization_config as Record<string, unknown> | undefined;
  const out = new Map<string, Resolution>();
  if (qc?.quant_method !== "compressed-tensors") {
    for (const m of modules)
      out.set(m.name, { error: "config.json has no compressed-tensors quantization_config" });
    return out;
  }
  const targets: CtTarget[] = [];
  for (const group of Object.values((qc.config_groups ?? {}) as Record<string, Record<string, unknown>>)) {
    const scheme = ctSchemeOf(group);
    for (const written of (group.targets ?? []) as string[])
      targets.push({ entry: applyMapper(written, options.mapper), written, group: scheme });
  }
  const ignore = ((qc.ignore ?? []) as string[]).map((e) => applyMapper(e, options.mapper));
  const packed = options.packedModules ?? {};

  const ignored = (name: string): boolean | string => {
    const proj = name.split(".").at(-1) ?? "";
    const shards = packed[proj];
    if (shards === undefined) return ignore.some((e) => ctEntryMatches(e, name));
    const verdicts = shards.map((s) => ignore.some((e) => ctEntryMatches(e, replaceLast(name, proj, s))));
    if (verdicts.some((v) => v !== verdicts[0]))
      return `shards of ${name} are partly ignored: vLLM requires one scheme for a fused module`;
    return verdicts[0] as boolean;
  };
  const firstMatch = (name: string) => targets.find((t) => ctEntryMatches(t.entry, name));
  const matched = (name: string): CtTarget | string => {
    const direct = firstMatch(name);
    if (direct !== undefined) return direct;
    const proj = name.split(".").at(-1) ?? "";
    const shards = packed[proj];
    if (shards !== undefined) {
      const hits = shards.map((s) => firstMatch(replaceLast(name, proj, s)));
      if (hits.every((h) => h !== undefined && h === hits[0])) return hits[0] as CtTarget;
    }
    return `Unable to find matching target for ${JSON.stringify(name)} in the compressed-tensors config`;
  };
  const schemeDict = (name: string): Resolution | "ignored" => {
    const ig = ignored(name);
    if (typeof ig === "string") return { error: ig };
    if (ig) return "ignored";
    const hit = matched(name);
    if (typeof hit === "string") return { error: hit };
    if ("error" in hit.group) return { error: `${hit.written}: ${hit.group.error}` };
    const shown = hit.written.startsWith("re:") ? hit.written : JSON.stringify(hit.written);
    return { scheme: hit.group.scheme, via: `target ${shown}` };
  };

  for (const m of modules) {
    if (m.kind === "linear") {
      const r = schemeDict(m.name);
      out.set(m.name, r === "ignored" ? { scheme: "unquantized", via: "ignore" } : r);
      continue;
    }
    // get_moe_method asks the three projections of expert 0 and requires one scheme.
    const prefix = m.name.replace(/\.0\.(gate_proj|up_proj|down_proj)$/, "");
    const projections = [".0.gate_proj", ".0.up_proj", ".0.down_proj"];
    const asked = projections.map((p) => schemeDict(prefix + p));
    // One scheme for the layer; reported with the match of this entry's own projection.
    const own = projections.findIndex((p) => m.name.endsWith(p));
    const first = asked[Math.max(own, 0)] as Resolution | "ignored";
    if (asked.some((r) => typeof r !== "string" && "error" in r)) {
      out.set(m.name, asked.find((r) => typeof r !== "string" && "error" in r) as Resolution);
    } else if (asked.some((r) => schemeName(r) !== schemeName(first))) {
      out.set(m.name, {
        error: `${prefix}: All MoE projections need to have same quantization scheme but found multiple`,
      });
    } else {
      out.set(m.name, first === "ignored" ? { scheme: "unquantized", via: "ignore" } : first);
    }
  }
  return out;
}

function schemeName(r: Resolution | "ignored"): string {
  return r === "ignored" ? r : "scheme" in r ? r.scheme : "error";
}

function replaceLast(name: string, proj: string, shard: string): string {
  return name.slice(0, name.length - proj.length) + shard;
}

// ---------------------------------------------------------------------------------------------
// ModelOpt NVFP4 (vLLM modelopt.py ModelOptNvFp4Config, SGLang modelopt_quant.py ModelOptFp4Config):
// every Linear and MoE not excluded runs NVFP4; exclude_modules entries are fnmatch patterns, and
// an entry contained in the name also excludes it (vLLM's legacy substring match).

function modelOptExclude(files: OutputConfigFiles): { algo: unknown; exclude: string[] } | undefined {
  const hf = files.sideFiles["hf_quant_config.json"]?.quantization as Record<string, unknown> | undefined;
  if (hf !== undefined) return { algo: hf.quant_algo, exclude: (hf.exclude_modules ?? []) as string[] };
  const qc = files.config.quantization_config as Record<string, unknown> | undefined;
  if (qc?.quant_method === "modelopt") return { algo: qc.quant_algo, exclude: (qc.ignore ?? []) as string[] };
  return undefined;
}

function excludedBy(exclude: readonly string[], name: string): string | undefined {
  return exclude.find((p) => globMatches(p, name) || name.includes(p));
}

function modelOptNvfp4(
  files: OutputConfigFiles,
  modules: readonly EngineModule[],
  options: ResolverOptions,
): Map<string, Resolution> {
  const out = new Map<string, Resolution>();
  const cfg = modelOptExclude(files);
  for (const m of modules) {
    if (cfg === undefined || cfg.algo !== "NVFP4") {
      out.set(m.name, { error: "no ModelOpt NVFP4 config (hf_quant_config.json quant_algo NVFP4)" });
      continue;
    }
    const proj = m.name.split(".").at(-1) ?? "";
    const shards = options.packedModules?.[proj];
    const names = shards === undefined ? [m.name] : shards.map((s) => replaceLast(m.name, proj, s));
    const hits = names.map((n) => excludedBy(cfg.exclude, n));
    if (hits.some((h) => (h === undefined) !== (hits[0] === undefined))) {
      out.set(m.name, { error: `shards of ${m.name} are partly excluded` });
    } else if (hits[0] !== undefined) {
      out.set(m.name, { scheme: "unquantized", via: `exclude_modules ${hits[0]}` });
    } else out.set(m.name, { scheme: "nvfp4", via: "quant_algo NVFP4" });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// NVIDIA's DeepSeek V4 layout: FP8 checkpoint with moe_quant_algo NVFP4.

function v4Mixed(files: OutputConfigFiles): { error: string } | { qc: Record<string, unknown> } {
  const qc = files.config.quantization_config as Record<string, unknown> | undefined;
  if (qc?.quant_method !== "fp8")
    return { error: 'config.json quantization_config.quant_method is not "fp8"' };
  if (String(qc.moe_quant_algo ?? "").toUpperCase() !== "NVFP4")
    return { error: 'config.json quantization_config.moe_quant_algo is not "NVFP4"' };
  return { qc };
}

/** vllm/models/deepseek_v4/quant_config.py DeepseekV4FP8Config.get_quant_method. */
function vllmDeepseekV4Fp8(
  files: OutputConfigFiles,
  modules: readonly EngineModule[],
): Map<string, Resolution> {
  const out = new Map<string, Resolution>();
  const mixed = v4Mixed(files);
  const expertDtype = files.config.expert_dtype ?? "fp4";
  const ignored = ("qc" in mixed ? (mixed.qc.ignored_layers ?? []) : []) as string[];
  for (const m of modules) {
    if ("error" in mixed) {
      out.set(m.name, mixed);
      continue;
    }
    if (m.kind === "moe") {
      const prefix = m.name.replace(/\.0\.(gate_proj|up_proj|down_proj)$/, "");
      if (ignored.some((i) => prefix.startsWith(i)))
        out.set(m.name, { scheme: "unquantized", via: "ignored_layers" });
      else if (expertDtype === "fp4")
        out.set(m.name, {
          scheme: "nvfp4",
          via: "expert_dtype fp4 + moe_quant_algo NVFP4 → ModelOptNvFp4FusedMoE",
        });
      else
        out.set(m.name, { scheme: "fp8-block", via: `expert_dtype ${String(expertDtype)} → Fp8MoEMethod` });
    } else out.set(m.name, { scheme: "fp8-block", via: "Fp8Config (block)" });
  }
  return out;
}

/** SGLang modelopt_quant.py HybridFp8NvFp4Config.get_quant_method. */
function sglangHybrid(files: OutputConfigFiles, modules: readonly EngineModule[]): Map<string, Resolution> {
  const out = new Map<string, Resolution>();
  const mixed = v4Mixed(files);
  const exclude = modelOptExclude(files)?.exclude ?? [];
  for (const m of modules) {
    if ("error" in mixed) out.set(m.name, mixed);
    else if (m.kind === "moe") {
      const hit = excludedBy(exclude, m.name);
      out.set(
        m.name,
        hit === undefined
          ? { scheme: "nvfp4", via: "ModelOptNvFp4FusedMoEMethod" }
          : {
              error: `${m.name} excluded by ${hit}: SGLang falls back to its MXFP4 MoE method, which NVFP4 tensors do not fit`,
            },
      );
    } else
      out.set(m.name, {
        scheme: "as-stored",
        via: "Fp8Config: FP8 block as stored, BF16 Linears unquantized",
      });
  }
  return out;
}

/** TensorRT-LLM model_config.py load_modelopt_quant_config: NVFP4 or MIXED_PRECISION (quant_cfg.json). */
function trtllmModelOpt(files: OutputConfigFiles, modules: readonly EngineModule[]): Map<string, Resolution> {
  const out = new Map<string, Resolution>();
  const q = files.sideFiles["hf_quant_config.json"]?.quantization as Record<string, unknown> | undefined;
  if (q === undefined) {
    for (const m of modules) out.set(m.name, { error: "no hf_quant_config.json" });
    return out;
  }
  if (q.quant_algo === "NVFP4") return modelOptNvfp4(files, modules, {});
  if (q.quant_algo !== "MIXED_PRECISION") {
    for (const m of modules)
      out.set(m.name, { error: `quant_algo ${String(q.quant_algo)} is not NVFP4 or MIXED_PRECISION` });
    return out;
  }
  const cfg = files.sideFiles["quant_cfg.json"];
  const layers = cfg?.quantized_layers as Record<string, { quant_algo?: string }> | undefined;
  for (const m of modules) {
    if (layers === undefined) {
      out.set(m.name, { error: "MIXED_PRECISION needs quant_cfg.json with quantized_layers" });
      continue;
    }
    const algos = new Set(m.members.map((member) => layers[member]?.quant_algo ?? "none"));
    if (algos.size > 1)
      out.set(m.name, { error: `${m.name}: members have different quant_algo (${[...algos].join(", ")})` });
    else if (algos.has("NVFP4"))
      out.set(m.name, { scheme: "nvfp4", via: "quant_cfg.json quantized_layers NVFP4" });
    else
      out.set(m.name, {
        scheme: "as-stored",
        via: "not in quantized_layers: the FP8 checkpoint's own scheme",
      });
  }
  return out;
}
