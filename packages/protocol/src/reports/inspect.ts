/**
 * The `fp4kit inspect` report, version 1. Documented field by field in
 * packages/quant/docs/inspect-schema.md; the server parses it when the agent uploads it and the
 * report page when it reads it. Adding optional fields keeps the version; removing or changing the
 * meaning of one bumps it.
 */
import { z } from "zod";
import { EngineSchema, OutputFormatSchema } from "../engines.ts";
import { MODEL_FAMILIES, SAFETENSORS_DTYPES, TENSOR_CATEGORIES } from "./vocabulary.ts";

export const INSPECT_SCHEMA_VERSION = 1;

const count = z.number().int().nonnegative();
const bytes = z.number().nonnegative();
const dtype = z.enum(SAFETENSORS_DTYPES);
const shape = z.array(z.number().int().nonnegative());
const blockSize = z.tuple([z.number().int().positive(), z.number().int().positive()]);
const action = z.enum(["quantize", "preserve", "drop"]);
const category = z.enum(TENSOR_CATEGORIES);

const ActionTotalsSchema = z.object({ tensors: count, bytesIn: bytes, bytesOut: bytes });

export const InspectReportSchema = z.object({
  schemaVersion: z.literal(INSPECT_SCHEMA_VERSION),
  checkpoint: z.object({
    /** Directory base name (no absolute paths: reports are shareable and diffable). */
    name: z.string(),
    layout: z.enum(["sharded", "single"]),
    tensorCount: count,
    tensorBytes: bytes,
    fileBytes: bytes,
    /** metadata.total_size of the index, null without index or field. */
    indexTotalSize: bytes.nullable(),
    shards: z.array(z.object({ file: z.string(), tensors: count, tensorBytes: bytes, fileBytes: bytes })),
    /** Top-level non-tensor files (config, tokenizer, ...), copied verbatim by the converter. */
    otherFiles: z.array(z.string()),
  }),
  model: z.object({
    family: z.enum(MODEL_FAMILIES),
    detectedFrom: z.enum(["option", "config.model_type", "config.architectures", "tensor-names"]),
    modelType: z.string().nullable(),
    architectures: z.array(z.string()),
    /** V4 config field: "fp8" (FP8 experts) or "fp4" (MXFP4 experts); null when absent. */
    expertDtype: z.string().nullable(),
    /** The source's quantization_config, verbatim. */
    quantizationConfig: z.record(z.string(), z.unknown()).nullable(),
  }),
  preset: z.object({
    id: z.enum(MODEL_FAMILIES),
    description: z.string(),
    quantizeAttention: z.boolean(),
    ignore: z.array(z.string()),
    rules: z.array(
      z.object({
        name: z.string(),
        pattern: z.string(),
        category,
        action: z.enum(["quantize", "preserve"]),
        why: z.string(),
      }),
    ),
    fusedGroups: z.array(z.object({ name: z.string(), pattern: z.string(), groupKey: z.string() })),
  }),
  dtypes: z.array(z.object({ dtype, tensors: count, bytes })),
  fp8: z.object({
    /** F8_E4M3 weights with a block-scale companion. */
    weights: count,
    scaleNaming: z.array(z.object({ suffix: z.enum(["weight_scale_inv", "scale"]), count })),
    scaleDtypes: z.array(z.object({ dtype, count })),
    blockSize: z.object({
      configured: blockSize.nullable(),
      detected: blockSize.nullable(),
      used: blockSize,
    }),
    /** Weights whose scale does not use `blockSize.used` (a single per-tensor scale). */
    disagreements: z.array(z.object({ tensor: z.string(), shape, scaleShape: shape, block: blockSize })),
  }),
  alreadyFp4: z.object({
    format: z.literal("mxfp4"),
    weights: count,
    bytes,
    /** Of them, weights the plan re-expresses as NVFP4 (the others are kept by a rule). */
    converted: count,
    /** Folded name patterns of the MXFP4 weights. */
    patterns: z.array(z.string()),
  }),
  categories: z.array(z.object({ category, tensors: count, weights: count, bytes })),
  plan: z.object({
    quantize: ActionTotalsSchema,
    preserve: ActionTotalsSchema,
    drop: ActionTotalsSchema,
    rules: z.array(z.object({ rule: z.string(), action, tensors: count, bytesIn: bytes, bytesOut: bytes })),
    fusedGroups: z.array(z.object({ pattern: z.string(), groups: count, members: count, quantized: count })),
  }),
  patterns: z.array(
    z.object({
      pattern: z.string(),
      count,
      category,
      role: z.enum(["weight", "scale", "tensor"]),
      dtypes: z.array(dtype),
      shapes: z.array(z.object({ shape, count })),
      bytes,
      projectedBytes: bytes,
      decisions: z.array(z.object({ action, rule: z.string(), count })),
    }),
  ),
  size: z.object({ bytesIn: bytes, projectedBytesOut: bytes, ratio: z.number().nonnegative() }),
  warnings: z.array(z.string()),
  /** Present with `--engine` / `--format`: the output for that engine and what it does with it. */
  engine: z
    .object({
      engine: EngineSchema,
      format: OutputFormatSchema,
      /** Why no engine loads this combination (convert refuses it unless forced); null when it loads. */
      refusal: z.string().nullable(),
      /** Exact tensor bytes of the output (the index's total_size). */
      outputBytes: bytes,
      shards: count,
      /** The config and side files the conversion writes. */
      configFiles: z.array(z.string()),
      patterns: z.array(
        z.object({
          /** Folded name the engine asks about ("(no prefix)" where it passes none). */
          pattern: z.string(),
          kind: z.enum(["linear", "moe"]),
          modules: count,
          /** Folded checkpoint modules whose tensors these engine modules load. */
          checkpointModules: z.array(z.string()),
          scheme: z.enum(["nvfp4", "fp8-block", "unquantized", "as-stored", "error"]),
          /** The rule that decided (matched target, exclude pattern, dispatch), or the error. */
          via: z.string(),
        }),
      ),
      /** What the engine would reject or run differently from what the output stores. */
      problems: z.array(z.string()),
    })
    .optional(),
});

export type InspectReport = z.infer<typeof InspectReportSchema>;
