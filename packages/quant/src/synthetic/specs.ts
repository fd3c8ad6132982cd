/**
 * What a synthetic tensor is (name, dtype, shape) and how its bytes are made (`fill`). Layouts
 * build lists of these; `fill.ts` streams them.
 */
import type { Dtype } from "../safetensors/dtypes.ts";

export type Fill =
  /** E4M3 codes of a Gaussian spread over the FP8 range (block amax near 448). */
  | { kind: "fp8" }
  /** Per-block dequantization multipliers for an FP8 weight of standard deviation `std`. */
  | { kind: "fp8-block-scale"; std: number }
  /** Packed E2M1 pairs of a Gaussian (MXFP4 expert weights). */
  | { kind: "mxfp4" }
  /**
   * E8M0 exponents for MXFP4 blocks of a weight of standard deviation `std`; the first `faintRows`
   * rows get scales 2^-18 times smaller (a nearly dead channel, beyond E4M3's reach under one
   * NVFP4 global scale, so conversions exercise and report their rounding).
   */
  | { kind: "mxfp4-scale"; std: number; faintRows: number }
  | { kind: "gaussian"; std: number }
  /** 1 ± a little: RMSNorm weights. */
  | { kind: "around-one" }
  /** Random expert ids in [0, experts): the V4 hash-routing table. */
  | { kind: "expert-ids"; experts: number };

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  shape: number[];
  fill: Fill;
}

export type ScaleNaming = "weight_scale_inv" | "scale";

export interface Fp8LinearOptions {
  naming: ScaleNaming;
  scaleDtype: "F32" | "F8_E8M0";
  std?: number;
}

/** Scale grid of an FP8 weight with 128×128 blocks (DeepSeek's weight_block_size). */
export const FP8_BLOCK = 128;

/** An FP8 E4M3 Linear `<module>.weight` [out, in] and its block-scale companion. */
export function fp8Linear(
  module: string,
  out: number,
  inDim: number,
  options: Fp8LinearOptions,
): TensorSpec[] {
  const std = options.std ?? 0.02;
  return [
    { name: `${module}.weight`, dtype: "F8_E4M3", shape: [out, inDim], fill: { kind: "fp8" } },
    {
      name: `${module}.${options.naming}`,
      dtype: options.scaleDtype,
      shape: [Math.ceil(out / FP8_BLOCK), Math.ceil(inDim / FP8_BLOCK)],
      fill: { kind: "fp8-block-scale", std },
    },
  ];
}

/** An MXFP4 Linear as in DeepSeek's FP4-expert releases: I8 packed pairs + E8M0 per 32. */
export function mxfp4Linear(
  module: string,
  out: number,
  inDim: number,
  options: { std?: number; faintRows?: number } = {},
): TensorSpec[] {
  const std = options.std ?? 0.02;
  return [
    { name: `${module}.weight`, dtype: "I8", shape: [out, inDim / 2], fill: { kind: "mxfp4" } },
    {
      name: `${module}.scale`,
      dtype: "F8_E8M0",
      shape: [out, inDim / 32],
      fill: { kind: "mxfp4-scale", std, faintRows: options.faintRows ?? 0 },
    },
  ];
}

export function bf16(name: string, shape: number[], std = 0.02): TensorSpec {
  return { name, dtype: "BF16", shape, fill: { kind: "gaussian", std } };
}

export function f32(name: string, shape: number[], std = 0.02): TensorSpec {
  return { name, dtype: "F32", shape, fill: { kind: "gaussian", std } };
}

export function norm(name: string, size: number, dtype: "BF16" | "F32" = "BF16"): TensorSpec {
  return { name, dtype, shape: [size], fill: { kind: "around-one" } };
}
