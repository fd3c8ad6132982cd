/**
 * `@fp4kit/quant`: FP8 → NVFP4 checkpoint conversion. The package root is what an application
 * needs: convert (and free the destination lock of a conversion it stopped), inspect, plan, open a
 * checkpoint. The rest has subpaths of its own:
 * `/cli` (the fp4kit command line), `/synthetic` (generated checkpoints for tests and demos),
 * `/nvfp4` (the NVFP4 reference math, its native kernels and their selection), `/safetensors`
 * (the safetensors reader and writer), `/codecs` (FP4/FP8/BF16 number codecs) and `/python`
 * (the Python scripts). Report documents are @fp4kit/protocol's.
 */
export { type ConvertHooks, type ConvertResult, convertCheckpoint } from "./convert/convert.ts";
export { releaseDestinationLock } from "./convert/destination-lock.ts";
export { ConvertError } from "./convert/errors.ts";
export type { ConvertCheckpointOptions } from "./convert/options.ts";
export type { ConvertProgressEvent } from "./convert/progress.ts";
export { renderInspectMarkdown } from "./inspect/markdown.ts";
export { type InspectOptions, inspectCheckpoint } from "./inspect/report.ts";
export { type CheckpointPlan, planCheckpoint } from "./rules/plan.ts";
export { Checkpoint } from "./safetensors/checkpoint.ts";
export { FP4KIT_VERSION } from "./version.ts";
