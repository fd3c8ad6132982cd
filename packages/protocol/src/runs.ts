import { z } from "zod";
import {
  DEFAULT_ENGINE,
  EngineSchema,
  engineFormat,
  formatNeedsInputScales,
  OUTPUT_FORMAT_LABELS,
  OutputFormatSchema,
  unsupportedEngineChoice,
} from "./engines.ts";

/** Mirrors the RunKind/RunStatus enums of prisma/schema.prisma (a test in packages/db checks they agree). */
export const RunKindSchema = z.enum(["INSPECT", "CONVERT", "CALIBRATE", "VERIFY"]);
export type RunKind = z.infer<typeof RunKindSchema>;

export const RunStatusSchema = z.enum(["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** A regex the user adds to the preset's ignore list; must compile. */
const IgnoreRegexSchema = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `not a valid regular expression: ${(error as Error).message}`,
      });
    }
  });

/** C0 controls and DEL: never part of a path anyone means to type. */
const isControlCharacter = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;

/**
 * A file or folder on an agent's host. Refused here, before anything stores or runs it: relative
 * paths and control characters (a NUL byte cannot be stored, and would cut the path short in C
 * code). Whether it lies inside the agent's data roots is checked by the agent itself.
 */
export const HostPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((path) => ![...path].some(isControlCharacter), {
    message: "must not contain a NUL byte or other control characters",
  })
  .refine((path) => path.startsWith("/"), { message: "must be an absolute path (starting with /)" });

/** A Hugging Face Hub dataset id (`name` or `owner/name`), never a file-system path. */
const HUB_DATASET_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/**
 * Calibration data: a Hub dataset id, or an absolute path on the agent's host (confined to its
 * data roots like every other path).
 */
export const DatasetSchema = z.union(
  [
    z
      .string()
      .regex(HUB_DATASET_ID)
      .refine((id) => !id.includes(".."), { message: "no '..' in a dataset id" }),
    HostPathSchema,
  ],
  { error: "a Hugging Face dataset id (owner/name) or an absolute path inside the agent's data roots" },
);

/**
 * Lets transformers (and vLLM) import and run Python code shipped inside the checkpoint folder.
 * Off unless the run asks for it: a checkpoint from an untrusted source would run as the agent.
 */
const TrustRemoteCodeSchema = z.boolean().default(false);

export const InspectOptionsSchema = z.object({}).strict();

/**
 * The convert options: every default, range, cross-field rule and message lives here. The web
 * form, the CLI (`fp4kit convert`) and the agent take them from this schema and CONVERT_DEFAULTS,
 * so a change of a default or a rule is one edit.
 */
export const ConvertOptionsSchema = z
  .object({
    /** The engine the output is for; it picks the format when none is given. */
    engine: EngineSchema.default(DEFAULT_ENGINE),
    /** Absent = the engine's format (ENGINE_PROFILES). */
    format: OutputFormatSchema.optional(),
    /** Write a combination the engine does not load (the reason becomes a warning). */
    force: z.boolean().default(false),
    /**
     * Convert into a destination that holds another conversion or files fp4kit did not write:
     * fp4kit's files there are removed, others kept. Without it such a destination is refused; a
     * destination holding an earlier attempt at the same conversion resumes either way.
     */
    overwrite: z.boolean().default(false),
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
    /** W4A4 formats only: activation global scale when no calibration file exists (warned loudly). */
    inputScale: z.number().positive().optional(),
    /** W4A4 formats only: JSON file of per-module input scales, under an allowed root. */
    calibrationFile: HostPathSchema.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const format = engineFormat(o.engine, o.format);
    const scales = o.inputScale !== undefined || o.calibrationFile !== undefined;
    if (formatNeedsInputScales(format) && !scales) {
      ctx.addIssue({
        code: "custom",
        // Reported where the answer goes, in words that name the form's fields and the CLI's flags
        // alike (Calibration file / --calibration-file, Fallback input scale / --input-scale).
        path: ["calibrationFile"],
        message: `${OUTPUT_FORMAT_LABELS[format]} needs activation input scales: give a calibration file or a fallback input scale`,
      });
    }
    if (!formatNeedsInputScales(format) && scales) {
      ctx.addIssue({
        code: "custom",
        path: ["inputScale"],
        message: `input scales apply only to W4A4 formats; ${OUTPUT_FORMAT_LABELS[format]} is weight-only and has none`,
      });
    }
    if (o.inputScale !== undefined && o.calibrationFile !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["inputScale"],
        message: "give either a calibration file or one input scale for every module, not both",
      });
    }
    const problem = unsupportedEngineChoice({ engine: o.engine, format });
    if (problem !== undefined && !o.force) {
      ctx.addIssue({ code: "custom", path: ["format"], message: problem });
    }
  });

export type ConvertOptions = z.infer<typeof ConvertOptionsSchema>;

/** Every convert option's default: what an empty options object becomes. */
export const CONVERT_DEFAULTS: Readonly<ConvertOptions> = Object.freeze(ConvertOptionsSchema.parse({}));

/**
 * How a CALIBRATE run calibrates.
 * - "input-scales": `fp4kit calibrate` measures every Linear's activation amax on the FP8 model,
 *   layer by layer in transformers' model code, and writes the calibration file a W4A4 convert
 *   takes (destPath is that JSON file). Minutes to an hour.
 * - "llm-compressor": Path B, llm-compressor's oneshot writes a whole calibrated W4A4 checkpoint
 *   (destPath is a folder). Hours to days. The default, so that runs and API calls that name no
 *   method keep what they meant.
 */
export const CalibrationMethodSchema = z.enum(["input-scales", "llm-compressor"]);
export type CalibrationMethod = z.infer<typeof CalibrationMethodSchema>;

/** What an absent numSamples / maxSeqLen / dataset means, per method (dataset null: the text shipped with fp4kit). */
export const CALIBRATION_METHOD_DEFAULTS: Readonly<
  Record<CalibrationMethod, { numSamples: number; maxSeqLen: number; dataset: string | null }>
> = Object.freeze({
  "input-scales": { numSamples: 128, maxSeqLen: 512, dataset: null },
  "llm-compressor": { numSamples: 256, maxSeqLen: 4096, dataset: "HuggingFaceH4/ultrachat_200k" },
});

export const CalibrateOptionsSchema = z
  .object({
    method: CalibrationMethodSchema.default("llm-compressor"),
    /** Calibration sequences; absent = the method's default. */
    numSamples: z.number().int().min(1).max(65_536).optional(),
    /** Tokens per sequence; absent = the method's default. */
    maxSeqLen: z.number().int().min(16).max(262_144).optional(),
    /** input-scales: a UTF-8 text file on the agent's host; llm-compressor: a Hub dataset id or a path. */
    dataset: DatasetSchema.optional(),
    /** llm-compressor: Linears kept unquantized beyond the preset's (input-scales measures every Linear). */
    ignore: z.array(IgnoreRegexSchema).max(64).default([]),
    trustRemoteCode: TrustRemoteCodeSchema,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.method !== "input-scales") return;
    if (o.dataset !== undefined && !o.dataset.startsWith("/")) {
      ctx.addIssue({
        code: "custom",
        path: ["dataset"],
        message:
          "input scales are measured on a text file on the agent's host (an absolute path), or on the text shipped with fp4kit when none is given; Hub datasets are for llm-compressor",
      });
    }
    if (o.ignore.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["ignore"],
        message: "input-scales measures every Linear; what is kept unquantized is chosen when converting",
      });
    }
  });

export type CalibrateOptions = z.infer<typeof CalibrateOptionsSchema>;

export const CALIBRATE_DEFAULTS: Readonly<CalibrateOptions> = Object.freeze(CalibrateOptionsSchema.parse({}));

/** A calibrate run's settings with the method's defaults filled in. */
export function calibrateSettings(o: CalibrateOptions): {
  numSamples: number;
  maxSeqLen: number;
  dataset: string | null;
} {
  const defaults = CALIBRATION_METHOD_DEFAULTS[o.method];
  return {
    numSamples: o.numSamples ?? defaults.numSamples,
    maxSeqLen: o.maxSeqLen ?? defaults.maxSeqLen,
    dataset: o.dataset ?? defaults.dataset,
  };
}

export const VerifyOptionsSchema = z
  .object({
    /** The FP8 checkpoint the NVFP4 output was made from, for the reference forward pass. */
    referencePath: HostPathSchema.optional(),
    generateTokens: z.number().int().min(0).max(256).default(16),
    /** vLLM's token generation on the output (the checkpoint's own modeling code, if any). */
    trustRemoteCode: TrustRemoteCodeSchema,
  })
  .strict();

export type VerifyOptions = z.infer<typeof VerifyOptionsSchema>;

export const VERIFY_DEFAULTS: Readonly<VerifyOptions> = Object.freeze(VerifyOptionsSchema.parse({}));

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
    sourcePath: HostPathSchema,
    destPath: HostPathSchema.nullable(),
  })
  .and(RunSpecSchema)
  .superRefine((r, ctx) => {
    const needsDest = r.kind === "CONVERT" || r.kind === "CALIBRATE";
    if (needsDest && !r.destPath) {
      ctx.addIssue({ code: "custom", path: ["destPath"], message: `${r.kind} runs need a destination` });
    }
  });
export type NewRunInput = z.infer<typeof NewRunInputSchema>;

/** A run's tag: lower-case letters, digits and `.`, `_`, `-` (what a search or a URL carries unescaped). */
export const RunTagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, "a tag is 1-32 letters, digits, '.', '_' or '-'");

/** What people may change about a run after queueing it: how it is called, tagged and described. */
export const RunDetailsPatchSchema = z.object({
  /** "" or null: shown by its model label again. */
  name: z.string().trim().max(120, "a name is at most 120 characters").nullable().optional(),
  notes: z.string().max(10_000, "notes are at most 10,000 characters").optional(),
  tags: z
    .array(RunTagSchema)
    .max(16, "a run has at most 16 tags")
    .transform((tags) => [...new Set(tags)])
    .optional(),
});
export type RunDetailsPatch = z.infer<typeof RunDetailsPatchSchema>;
