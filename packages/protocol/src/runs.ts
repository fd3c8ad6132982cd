import { z } from "zod";

/** Mirrors the RunKind/RunStatus enums of prisma/schema.prisma (a test in packages/db checks they agree). */
export const RunKindSchema = z.enum(["INSPECT", "CONVERT", "CALIBRATE", "VERIFY"]);
export type RunKind = z.infer<typeof RunKindSchema>;

export const RunStatusSchema = z.enum(["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"];

/** A regex the user adds to the preset's ignore list; must compile. */
const IgnoreRegexSchema = z
  .string()
  .min(1)
  .refine(
    (source) => {
      try {
        new RegExp(source);
        return true;
      } catch {
        return false;
      }
    },
    { message: "not a valid regular expression" },
  );

export const OutputFormatSchema = z.enum(["compressed-tensors", "modelopt"]);
export type OutputFormat = z.infer<typeof OutputFormatSchema>;

export const InspectOptionsSchema = z.object({}).strict();

export const ConvertOptionsSchema = z
  .object({
    format: OutputFormatSchema.default("compressed-tensors"),
    /** CPU threads for the native kernel (0 = all cores). */
    workers: z.number().int().min(0).max(512).default(0),
    /** GPUs to use (0 = CPU only). */
    gpus: z.number().int().min(0).max(16).default(0),
    shardSizeBytes: z
      .number()
      .int()
      .min(1 << 20)
      .default(5_000_000_000),
    ignore: z.array(IgnoreRegexSchema).max(64).default([]),
    /** Attention projections on NVFP4 too; absent = the family preset's default (on for V3/V3.2, off for V4). */
    quantizeAttention: z.boolean().optional(),
    /** ModelOpt only: activation global scale when no calibration file exists (warned loudly). */
    inputScale: z.number().positive().optional(),
    /** ModelOpt only: JSON file of per-module input scales, under an allowed root. */
    calibrationFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.format === "modelopt" && o.inputScale === undefined && o.calibrationFile === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["format"],
        message: "ModelOpt NVFP4 needs activation input scales: give calibrationFile or inputScale",
      });
    }
  });

export type ConvertOptions = z.infer<typeof ConvertOptionsSchema>;

export const CalibrateOptionsSchema = z
  .object({
    numSamples: z.number().int().min(1).max(65_536).default(256),
    maxSeqLen: z.number().int().min(16).max(262_144).default(4096),
    dataset: z.string().min(1).default("HuggingFaceH4/ultrachat_200k"),
    ignore: z.array(IgnoreRegexSchema).max(64).default([]),
  })
  .strict();

export type CalibrateOptions = z.infer<typeof CalibrateOptionsSchema>;

export const VerifyOptionsSchema = z
  .object({
    /** The FP8 checkpoint the NVFP4 output was made from, for the reference forward pass. */
    referencePath: z.string().min(1).optional(),
    generateTokens: z.number().int().min(0).max(256).default(16),
  })
  .strict();

export type VerifyOptions = z.infer<typeof VerifyOptionsSchema>;

export const RunSpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("INSPECT"), options: InspectOptionsSchema.default({}) }),
  z.object({ kind: z.literal("CONVERT"), options: ConvertOptionsSchema }),
  z.object({ kind: z.literal("CALIBRATE"), options: CalibrateOptionsSchema }),
  z.object({ kind: z.literal("VERIFY"), options: VerifyOptionsSchema }),
]);
export type RunSpec = z.infer<typeof RunSpecSchema>;

/** What a user submits to queue a run (validated in the browser and again by the server). */
export const NewRunInputSchema = z
  .object({
    agentId: z.string().min(1).nullable(),
    sourcePath: z.string().min(1).max(4096),
    destPath: z.string().min(1).max(4096).nullable(),
  })
  .and(RunSpecSchema)
  .superRefine((r, ctx) => {
    const needsDest = r.kind === "CONVERT" || r.kind === "CALIBRATE";
    if (needsDest && !r.destPath) {
      ctx.addIssue({ code: "custom", path: ["destPath"], message: `${r.kind} runs need a destination` });
    }
  });
export type NewRunInput = z.infer<typeof NewRunInputSchema>;
