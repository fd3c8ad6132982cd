/** The output formats, one module each behind `OutputFormatModule`. */
import type { OutputFormat } from "@fp4kit/protocol";
import { compressedTensorsW4A4, compressedTensorsW4A16 } from "./compressed-tensors.ts";
import { modelOptNvfp4 } from "./modelopt.ts";
import type { OutputFormatModule } from "./types.ts";

const FORMATS: Record<OutputFormat, OutputFormatModule> = {
  "compressed-tensors": compressedTensorsW4A16,
  "compressed-tensors-w4a4": compressedTensorsW4A4,
  modelopt: modelOptNvfp4,
};

export function outputFormat(id: OutputFormat): OutputFormatModule {
  return FORMATS[id];
}

export { globMatches, HF_QUANT_CONFIG_FILE, QUANT_CFG_FILE, V4_EXCLUDE_MODULES } from "./modelopt.ts";
export { compactModuleList, entryMatcher, type PatternDialect } from "./module-patterns.ts";
export type {
  ConfigContext,
  EngineModule,
  KeptFp8Storage,
  OutputFormatModule,
  OutputModules,
  OutputTensor,
  QuantizationConfigs,
} from "./types.ts";
