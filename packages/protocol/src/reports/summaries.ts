/**
 * A finished run's summary (RunFinish.summary, stored on the run): the few figures of its result
 * that listings and the run page show without opening a document. One schema per run kind; a
 * calibration has no document, so its summary is its whole report.
 */
import { z } from "zod";
import { EngineSchema, OutputFormatSchema } from "../engines.ts";
import type { RunKind } from "../runs.ts";
import { schemaProblem } from "./problems.ts";
import { VerifyReportSchema } from "./verify.ts";
import { MODEL_FAMILIES } from "./vocabulary.ts";

const count = z.number().int().nonnegative();
const bytes = z.number().nonnegative();
const family = z.enum(MODEL_FAMILIES);

export const InspectSummarySchema = z.object({
  family,
  tensorCount: count,
  /** Tensor data bytes (the index's total_size). */
  tensorBytes: bytes,
});
export type InspectSummary = z.infer<typeof InspectSummarySchema>;

export const ConvertSummarySchema = z.object({
  engine: EngineSchema,
  format: OutputFormatSchema,
  family,
  /** The kernel that ran, as described to people. */
  kernel: z.string(),
  shards: count,
  /** Shards kept from an earlier, interrupted run. */
  resumedShards: count,
  inputBytes: bytes,
  outputBytes: bytes,
  compressionRatio: z.number().positive().nullable(),
  quantizedTensors: count,
  relRmsError: z.number().nonnegative(),
  maxRelRmsError: z.number().nonnegative(),
  /** Source bytes converted by this run per second (resumed shards excluded); 0 when none were. */
  throughputBytesPerSec: z.number().nonnegative(),
  seconds: z.number().nonnegative(),
  /** Where ModelOpt activation input scales came from; null for weight-only output. */
  inputScales: z.enum(["calibration", "flag"]).nullable(),
  mxfp4Tensors: count,
  mxfp4RoundedGroups: count,
});
export type ConvertSummary = z.infer<typeof ConvertSummarySchema>;

/** llm-compressor's calibration (apps/agent/python/quantize_llmcompressor.py). */
export const CalibrateSummarySchema = z.object({
  numSamples: z.number().int().positive(),
  maxSeqLen: z.number().int().positive(),
  /** A Hub dataset id, or the folder the agent confined it to. */
  dataset: z.string(),
  /** Modules left unquantized (the checkpoint's plan's ignore list). */
  ignored: count,
  seconds: z.number().nonnegative(),
});
export type CalibrateSummary = z.infer<typeof CalibrateSummarySchema>;

/** The verification report's verdict and headline errors. */
export const VerifySummarySchema = z.object({
  format: VerifyReportSchema.shape.format,
  quantizedModules: VerifyReportSchema.shape.quantizedModules,
  maxRelRmsError: VerifyReportSchema.shape.maxRelRmsError,
  meanRelRmsError: VerifyReportSchema.shape.meanRelRmsError,
  passed: VerifyReportSchema.shape.passed,
});
export type VerifySummary = z.infer<typeof VerifySummarySchema>;

export const RUN_SUMMARIES = {
  INSPECT: InspectSummarySchema,
  CONVERT: ConvertSummarySchema,
  CALIBRATE: CalibrateSummarySchema,
  VERIFY: VerifySummarySchema,
} as const satisfies Record<RunKind, z.ZodType>;

/** Null when a run's summary follows its kind's schema, else why not (the first fields named). */
export function runSummaryProblem(runKind: RunKind, summary: unknown): string | null {
  return schemaProblem(`the ${runKind} run's summary`, RUN_SUMMARIES[runKind], summary);
}
