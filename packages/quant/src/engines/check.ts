/**
 * Checks an output against an engine's contract the way the engine loads it: every module the
 * engine asks about resolves, with the engine's own rules, to the scheme the output stores; the
 * engine's module requirements hold; and every Linear holds exactly the tensors (names, dtypes,
 * shapes) the engine's scheme registers for it, nothing left over. The tensor expectations are the
 * engines' parameter registrations (docs/engines.md), not the converter's format modules.
 */
import type { Engine, OutputFormat } from "@fp4kit/protocol";
import type { EngineModule } from "../formats/types.ts";
import type { BlockSize } from "../rules/block-size.ts";
import type { ModelFamily } from "../rules/types.ts";
import type { Dtype } from "../safetensors/dtypes.ts";
import { engineContract } from "./contracts.ts";
import { type OutputConfigFiles, type Resolution, resolver, type Scheme } from "./resolvers.ts";
import { engineModules } from "./vocabulary.ts";

/** How the output stores a checkpoint Linear (what the converter intended). */
export type Storage = "nvfp4" | "fp8-block" | "unquantized";

export interface LinearModule {
  /** Checkpoint module name (the weight name without `.weight`). */
  module: string;
  rows: number;
  cols: number;
  storage: Storage;
}

export interface ContractInput {
  engine: Engine;
  family: ModelFamily;
  format: OutputFormat;
  files: OutputConfigFiles;
  /** Every tensor of the output by name. */
  tensors: ReadonlyMap<string, { dtype: Dtype; shape: readonly number[] }>;
  linears: readonly LinearModule[];
  numHiddenLayers: number | undefined;
  fp8Block: BlockSize;
}

export interface ResolvedModule {
  module: EngineModule;
  resolution: Resolution;
}

export interface ContractReport {
  modules: ResolvedModule[];
  /** Everything the engine would reject or run differently from the output's intent. */
  problems: string[];
}

/** Parameter-name suffixes of a Linear across the formats (what a loader would try to place). */
const LINEAR_SUFFIXES = [
  "weight",
  "weight_packed",
  "weight_scale",
  "weight_global_scale",
  "input_global_scale",
  "weight_scale_2",
  "input_scale",
  "scale",
  "weight_scale_inv",
];

export function checkEngineContract(input: ContractInput): ContractReport {
  const contract = engineContract(input.engine, input.family);
  const formatContract = contract.formats[input.format];
  if (formatContract === undefined) {
    return {
      modules: [],
      problems: [`${input.engine} has no loader for ${input.format} on ${input.family}`],
    };
  }
  const byModule = new Map(input.linears.map((l) => [l.module, l]));
  const modules = engineModules(formatContract.vocabulary, {
    linearModules: input.linears.map((l) => l.module),
    numHiddenLayers: input.numHiddenLayers,
  });
  const resolutions = resolver(formatContract.resolver, formatContract.resolverOptions)(input.files, modules);
  const problems: string[] = [];
  const schemeOf = new Map<string, Scheme>();
  const resolved: ResolvedModule[] = [];
  for (const module of modules) {
    const resolution = resolutions.get(module.name) ?? { error: "not resolved" };
    resolved.push({ module, resolution });
    const label = module.name === "" ? `(no prefix: ${module.members.join(", ")})` : module.name;
    if ("error" in resolution) {
      problems.push(`${label}: ${resolution.error}`);
      continue;
    }
    const storages = new Set(module.members.map((m) => byModule.get(m)?.storage));
    if (storages.size !== 1) {
      problems.push(`${label}: its checkpoint modules are stored differently (${[...storages].join(", ")})`);
      continue;
    }
    const storage = [...storages][0] as Storage;
    if (!fits(resolution.scheme, storage))
      problems.push(
        `${label}: the engine builds ${resolution.scheme} (${resolution.via}) but the output stores ${storage}`,
      );
    for (const rule of contract.requirements) {
      if (rule.pattern.test(module.name) && rule.forbidden.includes(storage))
        problems.push(`${label}: ${storage} is not loadable here: ${rule.why}`);
    }
    for (const m of module.members)
      schemeOf.set(m, resolution.scheme === "as-stored" ? storage : resolution.scheme);
  }
  for (const linear of input.linears) {
    const scheme = schemeOf.get(linear.module) ?? "unquantized";
    problems.push(...tensorProblems(input, linear, scheme));
  }
  return { modules: resolved, problems };
}

function fits(scheme: Scheme, storage: Storage): boolean {
  if (scheme === "as-stored") return storage !== "nvfp4";
  return scheme === storage;
}

interface Expected {
  name: string;
  dtypes: Dtype[];
  shape: number[];
}

/** The tensors the engine's scheme registers for one Linear, as the checkpoint must hold them. */
function expectedTensors(input: ContractInput, linear: LinearModule, scheme: Scheme): Expected[] {
  const { module: m, rows, cols } = linear;
  const ct = input.format === "compressed-tensors" || input.format === "compressed-tensors-w4a4";
  const grid = [Math.ceil(rows / input.fp8Block[0]), Math.ceil(cols / input.fp8Block[1])];
  switch (scheme) {
    case "nvfp4":
      if (ct) {
        // CompressedTensorsW4A16Fp4 / W4A4Fp4.create_weights (per-partition global scales).
        const out: Expected[] = [
          { name: `${m}.weight_packed`, dtypes: ["U8"], shape: [rows, cols / 2] },
          { name: `${m}.weight_scale`, dtypes: ["F8_E4M3"], shape: [rows, cols / 16] },
          { name: `${m}.weight_global_scale`, dtypes: ["F32"], shape: [1] },
        ];
        if (input.format === "compressed-tensors-w4a4")
          out.push({ name: `${m}.input_global_scale`, dtypes: ["F32"], shape: [1] });
        return out;
      }
      // ModelOptFp4LinearMethod.create_weights; NVIDIA's export writes the scalars as 0-d tensors.
      return [
        { name: `${m}.weight`, dtypes: ["U8"], shape: [rows, cols / 2] },
        { name: `${m}.weight_scale`, dtypes: ["F8_E4M3"], shape: [rows, cols / 16] },
        { name: `${m}.weight_scale_2`, dtypes: ["F32"], shape: [] },
        { name: `${m}.input_scale`, dtypes: ["F32"], shape: [] },
      ];
    case "fp8-block":
      if (ct)
        // CompressedTensorsW8A8Fp8 (block): weight + float32 weight_scale over the block grid.
        return [
          { name: `${m}.weight`, dtypes: ["F8_E4M3"], shape: [rows, cols] },
          { name: `${m}.weight_scale`, dtypes: ["F32"], shape: grid },
        ];
      // The FP8 checkpoint's own layout (V4: `.scale`, mapped to weight_scale_inv by the loader).
      return [
        { name: `${m}.weight`, dtypes: ["F8_E4M3"], shape: [rows, cols] },
        {
          name: input.family === "deepseek-v4" ? `${m}.scale` : `${m}.weight_scale_inv`,
          dtypes: ["F32", "F8_E8M0"],
          shape: grid,
        },
      ];
    default:
      return [{ name: `${m}.weight`, dtypes: ["BF16", "F16", "F32"], shape: [rows, cols] }];
  }
}

function tensorProblems(input: ContractInput, linear: LinearModule, scheme: Scheme): string[] {
  const expected = expectedTensors(input, linear, scheme);
  const problems: string[] = [];
  for (const e of expected) {
    const t = input.tensors.get(e.name);
    if (t === undefined) problems.push(`${e.name}: missing (${scheme} registers it)`);
    else if (!e.dtypes.includes(t.dtype))
      problems.push(`${e.name}: ${t.dtype}, expected ${e.dtypes.join(" or ")}`);
    else if (!sameShape(t.shape, e.shape))
      problems.push(`${e.name}: shape [${t.shape.join(", ")}], expected [${e.shape.join(", ")}]`);
  }
  const wanted = new Set(expected.map((e) => e.name));
  for (const suffix of LINEAR_SUFFIXES) {
    const name = `${linear.module}.${suffix}`;
    if (input.tensors.has(name) && !wanted.has(name))
      problems.push(`${name}: left over, ${scheme} registers no such parameter`);
  }
  return problems;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
