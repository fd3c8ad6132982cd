/**
 * An engine profile applied to a detected family: the format the engine loads, refused with the
 * reason when no engine loads the combination (unless forced, then the reason is a warning).
 */
import {
  ENGINE_PROFILES,
  type Engine,
  engineFormat,
  type OutputFormat,
  unsupportedEngineChoice,
} from "@fp4kit/protocol";
import { ConvertError } from "../convert/errors.ts";
import type { ModelFamily } from "../rules/types.ts";
import { type EngineFamilyContract, engineContract, type FormatContract } from "./contracts.ts";

export interface EngineTarget {
  engine: Engine;
  format: OutputFormat;
  family: ModelFamily;
  contract: EngineFamilyContract;
  /** Undefined when a forced combination has no contract. */
  formatContract: FormatContract | undefined;
  warnings: string[];
}

export interface EngineChoiceOptions {
  engine: Engine;
  format: OutputFormat | undefined;
  force: boolean;
  quantizeAttention: boolean | undefined;
}

export function resolveEngineTarget(choice: EngineChoiceOptions, family: ModelFamily): EngineTarget {
  const format = engineFormat(choice.engine, choice.format);
  const contract = engineContract(choice.engine, family);
  const formatContract = contract.formats[format];
  const problem =
    unsupportedEngineChoice({
      engine: choice.engine,
      format,
      family,
      quantizeAttention: choice.quantizeAttention,
    }) ??
    (formatContract === undefined
      ? `${ENGINE_PROFILES[choice.engine].label} has no known loader for ${format} on ${family}`
      : undefined);
  const warnings: string[] = [];
  if (problem !== undefined) {
    if (!choice.force) throw new ConvertError("ENGINE_UNSUPPORTED", `${problem} (force to write it anyway)`);
    warnings.push(`written although ${ENGINE_PROFILES[choice.engine].label} will not load it: ${problem}`);
  }
  return { engine: choice.engine, format, family, contract, formatContract, warnings };
}
