/** The configs a conversion writes for its target engine (also planned by `inspect --engine`). */
import type { EngineTarget } from "../engines/profile.ts";
import { engineModules } from "../engines/vocabulary.ts";
import type { OutputFormatModule, QuantizationConfigs } from "../formats/types.ts";
import type { CheckpointPlan } from "../rules/plan.ts";
import type { Checkpoint } from "../safetensors/checkpoint.ts";
import type { OutputLayout } from "./output-layout.ts";

/**
 * config.json's quantization part and the side files, in the format's dialect and, where the
 * engine's contract lists them, in the engine's own module names too.
 */
export function buildConfigs(
  format: OutputFormatModule,
  target: EngineTarget,
  checkpoint: Checkpoint,
  plan: CheckpointPlan,
  layout: OutputLayout,
): QuantizationConfigs {
  const m = layout.modules;
  const linearModules = [...m.quantized, ...m.fp8Block, ...m.unquantized, ...m.mxfp4];
  const vocabulary = target.formatContract?.vocabulary;
  const config = checkpoint.config as Record<string, unknown> | undefined;
  return format.buildConfigs({
    family: plan.family.family,
    modules: m,
    fp8Block: plan.fp8Block.used,
    sourceQuantizationConfig: config?.quantization_config as Record<string, unknown> | undefined,
    engineModules:
      vocabulary === undefined
        ? []
        : engineModules(vocabulary, { linearModules, numHiddenLayers: checkpoint.config?.num_hidden_layers }),
    carryOverKeys: target.contract.carryOverKeys,
  });
}
