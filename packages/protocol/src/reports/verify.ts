/**
 * The NVFP4 verification report (the QUALITY_REPORT of a verify run), written by
 * packages/quant/python/verify_nvfp4.py. The fields a reader decides on are typed here: the
 * verdict, its reasons and the headline errors; the per-check sections (finite values, fused
 * groups, kept tensors, forward checks, generation) are detail for people, kept as the script
 * writes them and described in the report's Markdown.
 */
import { z } from "zod";

const error = z.number().nonnegative();

export const VerifyReportSchema = z.looseObject({
  /** Folder base name of the checked checkpoint. */
  checkpoint: z.string(),
  /** The NVFP4 layout found on disk. */
  format: z.enum(["compressed-tensors", "modelopt"]),
  quantizedModules: z.number().int().nonnegative(),
  /** Folder base name of the FP8 source compared against, null without `--reference`. */
  reference: z.string().nullable(),
  /** Relative RMS error of FP8-sourced weights against the source; null without a reference. */
  maxRelRmsError: error.nullable(),
  meanRelRmsError: error.nullable(),
  /** Why the checkpoint failed, one line each; empty when it passed. */
  problems: z.array(z.string()),
  passed: z.boolean(),
  seconds: z.number().nonnegative(),
});
export type VerifyReport = z.infer<typeof VerifyReportSchema>;
