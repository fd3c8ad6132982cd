/**
 * The converter's quality report (fp4kit-quality.json, the QUALITY_REPORT of a convert run): how
 * far every NVFP4 weight is from its FP8 source (relative RMS error and max absolute error of the
 * values an engine reconstructs), per tensor, per layer and overall, and, for MXFP4 sources
 * re-expressed as NVFP4, which groups are exact and what rounding cost where not. The converter
 * writes it, the server parses it when the agent uploads it, and the run and compare pages read it.
 */
import { z } from "zod";
import { OutputFormatSchema } from "../engines.ts";
import { TENSOR_CATEGORIES } from "./vocabulary.ts";

const count = z.number().int().nonnegative();
const error = z.number().nonnegative();
const category = z.enum(TENSOR_CATEGORIES);
const shape = z.array(z.number().int().nonnegative());

/** What both weight lists say of a weight: which it is, where, and the engine-fused group it is in. */
const WeightSchema = z.object({
  /** Source weight name, e.g. layers.3.ffn.experts.7.w1.weight */
  name: z.string(),
  /** "layers.3", "mtp.0", "model.layers.3", or "model" for tensors outside layers. */
  layer: z.string(),
  category,
  shape,
  /** Key shared by the members of an engine-fused group (they share globalScale). */
  fusedGroup: z.string().nullable(),
});

/** Largest absolute error and the sums a relative RMS error over several weights is made from. */
const errorSums = { maxAbsError: error, sumSqError: error, sumSqRef: error };

export const TensorQualitySchema = WeightSchema.extend({
  /** NVFP4 global scale gs = amax / (6 · 448) of the tensor or of its fused group. */
  globalScale: z.number(),
  /** sqrt(Σ(nvfp4 − fp8)² / Σ fp8²). */
  relRmsError: error,
  ...errorSums,
  elements: count,
});
export type TensorQuality = z.infer<typeof TensorQualitySchema>;

/**
 * An MXFP4 weight re-expressed as NVFP4 (packages/quant/docs/nvfp4-math.md, "MXFP4 sources"); its
 * shape is [out, in] in elements.
 */
export const Mxfp4TensorQualitySchema = WeightSchema.extend({
  /** gs = 2^G, shared by the fused group: the group's largest block scale becomes E4M3 2^8. */
  globalScale: z.number(),
  /** Smallest and largest E8M0 block exponent of the weight; null for an empty weight. */
  scaleExponents: z.tuple([z.number().int(), z.number().int()]).nullable(),
  /** 16-element groups. */
  groups: count,
  /** Codes kept, scale exact: NVFP4 values equal the MXFP4 values. */
  exactGroups: count,
  /** Of the exact groups, those on a subnormal E4M3 scale (2^-9 to 2^-7 times gs). */
  subnormalScaleGroups: count,
  /** Below E4M3's range under gs: scale 2^-9, codes rounded to nearest even. */
  roundedGroups: count,
  /** [row, group] (group = input column / 16) of the first rounded groups, row-major, at most 8. */
  firstRoundedGroups: z.array(z.tuple([count, count])),
  /** Over the rounded groups only: sqrt(Σ err² / Σ ref²), max |err|, and the sums. 0 when none. */
  roundedRelRmsError: error,
  ...errorSums,
});
export type Mxfp4TensorQuality = z.infer<typeof Mxfp4TensorQualitySchema>;

export const Mxfp4SummarySchema = z.object({
  tensors: count,
  groups: count,
  exactGroups: count,
  subnormalScaleGroups: count,
  roundedGroups: count,
  /** Tensors with at least one rounded group. */
  roundedTensors: count,
  maxAbsError: error,
});
export type Mxfp4Summary = z.infer<typeof Mxfp4SummarySchema>;

export const LayerQualitySchema = z.object({
  layer: z.string(),
  tensors: count,
  /** Energy-weighted over the layer's tensors: sqrt(ΣΣ err² / ΣΣ ref²). */
  relRmsError: error,
  maxAbsError: error,
  worstTensor: z.string(),
  worstRelRmsError: error,
});
export type LayerQuality = z.infer<typeof LayerQualitySchema>;

export const QualityReportSchema = z.object({
  format: z.literal("fp4kit-quality"),
  version: z.literal(1),
  outputFormat: OutputFormatSchema,
  totals: z.object({
    quantizedTensors: count,
    elements: count,
    relRmsError: error,
    meanRelRmsError: error,
    maxRelRmsError: error,
    maxAbsError: error,
  }),
  /** Where ModelOpt activation input scales came from; null for weight-only output. */
  inputScales: z
    .object({
      source: z.enum(["calibration", "flag"]),
      value: z.number().nullable(),
      file: z.string().nullable(),
      warning: z.string().nullable(),
    })
    .nullable(),
  warnings: z.array(z.string()),
  layers: z.array(LayerQualitySchema),
  tensors: z.array(TensorQualitySchema),
  /** MXFP4 weights re-expressed as NVFP4 (not in `tensors`, `layers` or `totals`, which are about FP8 quantization). */
  mxfp4: z.object({ totals: Mxfp4SummarySchema, tensors: z.array(Mxfp4TensorQualitySchema) }),
});
export type QualityReport = z.infer<typeof QualityReportSchema>;
