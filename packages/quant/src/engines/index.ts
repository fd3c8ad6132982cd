/** Engine contracts: what vLLM, SGLang and TensorRT-LLM ask of an output, and checks against them. */
export {
  type ContractInput,
  type ContractReport,
  checkEngineContract,
  type LinearModule,
  type Storage,
} from "./check.ts";
export {
  CompressedTensorsConfigSchema,
  DeepseekV4MixedConfigSchema,
  HfQuantConfigSchema,
  ModelOptConfigSchema,
  QuantCfgSchema,
} from "./config-schemas.ts";
export {
  ENGINE_CONTRACTS,
  type EngineFamilyContract,
  engineContract,
  type FormatContract,
} from "./contracts.ts";
export { type EngineTarget, resolveEngineTarget } from "./profile.ts";
export type { OutputConfigFiles, Resolution, Scheme } from "./resolvers.ts";
export { SOURCES, type SourceRef } from "./sources.ts";
export { engineModules, type VocabularyId } from "./vocabulary.ts";
