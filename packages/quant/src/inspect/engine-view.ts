/**
 * The `engine` section of the inspect report: the output a conversion for this engine and format
 * would write, planned from headers only (exact size, every output tensor), and what the engine
 * does with each module it asks about, resolved with its own rules (src/engines) on the configs
 * that conversion would write.
 */

import type { InspectReport } from "@fp4kit/protocol";
import { type Engine, engineFormat, type OutputFormat, unsupportedEngineChoice } from "@fp4kit/protocol";
import { buildConfigs } from "../convert/configs.ts";
import { type OutputLayout, planOutputLayout } from "../convert/output-layout.ts";
import { rewriteConfig } from "../convert/side-files.ts";
import { checkEngineContract, type LinearModule } from "../engines/check.ts";
import { resolveEngineTarget } from "../engines/profile.ts";
import type { OutputFormatModule } from "../formats/types.ts";
import type { CheckpointPlan } from "../rules/plan.ts";
import type { Checkpoint } from "../safetensors/checkpoint.ts";
import type { Dtype } from "../safetensors/dtypes.ts";
import { foldTensorName } from "./patterns.ts";

export interface EngineChoice {
  engine: Engine;
  format: OutputFormat | undefined;
  quantizeAttention: boolean | undefined;
  shardSizeBytes: number;
}

export function engineView(
  checkpoint: Checkpoint,
  plan: CheckpointPlan,
  format: OutputFormatModule,
  choice: EngineChoice,
): NonNullable<InspectReport["engine"]> {
  const family = plan.family.family;
  const formatId = engineFormat(choice.engine, choice.format);
  // Planned as a forced conversion would write it; the refusal is reported, not thrown.
  const target = resolveEngineTarget({ ...choice, force: true }, family);
  const refusal =
    unsupportedEngineChoice({
      engine: choice.engine,
      format: formatId,
      family,
      quantizeAttention: choice.quantizeAttention,
    }) ?? (target.formatContract === undefined ? `no known loader for ${formatId} on ${family}` : null);
  const layout = planOutputLayout(plan, format, choice.shardSizeBytes, target.contract.unquantizedModules);
  const configs = buildConfigs(format, target, checkpoint, plan, layout);
  const config = JSON.parse(rewriteConfig(JSON.stringify(checkpoint.config ?? {}), configs)) as Record<
    string,
    unknown
  >;
  const report =
    target.formatContract === undefined
      ? { modules: [], problems: [] }
      : checkEngineContract({
          engine: choice.engine,
          family,
          format: formatId,
          files: { config, sideFiles: configs.sideFiles },
          tensors: outputTensors(layout),
          linears: linears(plan, layout),
          numHiddenLayers: checkpoint.config?.num_hidden_layers,
          fp8Block: plan.fp8Block.used,
        });
  const patterns = new Map<string, NonNullable<InspectReport["engine"]>["patterns"][number]>();
  for (const { module, resolution } of report.modules) {
    const pattern = module.name === "" ? "(no prefix)" : foldEngineName(module.name);
    const scheme = "scheme" in resolution ? resolution.scheme : "error";
    const via = "scheme" in resolution ? resolution.via : resolution.error;
    const key = `${pattern}\u0000${scheme}\u0000${via}`;
    const entry = patterns.get(key) ?? {
      pattern,
      kind: module.kind,
      modules: 0,
      checkpointModules: [],
      scheme,
      via,
    };
    entry.modules += 1;
    for (const member of module.members) {
      const folded = foldTensorName(member);
      if (!entry.checkpointModules.includes(folded)) entry.checkpointModules.push(folded);
    }
    patterns.set(key, entry);
  }
  return {
    engine: choice.engine,
    format: formatId,
    refusal,
    outputBytes: layout.totalSize,
    shards: layout.shards.length,
    configFiles: ["config.json", ...Object.keys(configs.sideFiles)],
    patterns: [...patterns.values()],
    problems: report.problems,
  };
}

/** Layer indices folded; the expert index kept, since engines ask about expert 0 only. */
function foldEngineName(name: string): string {
  return name.replace(/(^|\.)layers\.\d+(?=\.|$)/g, "$1layers.{L}");
}

function outputTensors(layout: OutputLayout): Map<string, { dtype: Dtype; shape: number[] }> {
  const tensors = new Map<string, { dtype: Dtype; shape: number[] }>();
  for (const unit of layout.units)
    for (const o of unit.outputs) tensors.set(o.name, { dtype: o.dtype, shape: o.shape });
  return tensors;
}

function linears(plan: CheckpointPlan, layout: OutputLayout): LinearModule[] {
  const storage = new Map<string, LinearModule["storage"]>();
  for (const m of layout.modules.quantized) storage.set(m, "nvfp4");
  for (const m of layout.modules.fp8Block) storage.set(m, "fp8-block");
  for (const m of layout.modules.unquantized) storage.set(m, "unquantized");
  const out: LinearModule[] = [];
  for (const t of plan.tensors) {
    const module = t.name.slice(0, -".weight".length);
    const s = storage.get(module);
    if (s === undefined || !t.name.endsWith(".weight")) continue;
    const [rows = 0, stored = 0] = t.shape;
    // MXFP4 sources hold two E2M1 values a byte.
    out.push({ module, rows, cols: t.sourceFormat === "mxfp4" ? stored * 2 : stored, storage: s });
  }
  return out;
}
