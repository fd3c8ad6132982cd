/** FP8 → NVFP4 checkpoint conversion (Path A). */
export { type CalibrationFile, CalibrationFileSchema, type InputScaleSource } from "./calibration.ts";
export { buildConfigs } from "./configs.ts";
export { type ConvertHooks, type ConvertResult, convertCheckpoint } from "./convert.ts";
export { ConvertError, type ConvertErrorCode } from "./errors.ts";
export { MANIFEST_FILE, type Manifest, ManifestSchema } from "./manifest.ts";
export {
  type ConvertCheckpointOptions,
  type ConvertOptionsInput,
  KERNEL_PREFERENCES,
  type KernelPreference,
  type ResolvedConvertOptions,
  resolveConvertOptions,
} from "./options.ts";
export {
  type OutputLayout,
  type OutputModules,
  type OutputShard,
  type OutputUnit,
  planOutputLayout,
} from "./output-layout.ts";
export type { ConvertProgressEvent } from "./progress.ts";
