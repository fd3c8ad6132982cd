/**
 * FP4 E2M1 (OCP MX FP4, NVFP4 element type): 1 sign (bit 3), 2 exponent, 1 mantissa bit.
 * Magnitudes by code 0..7: 0, 0.5, 1, 1.5, 2, 3, 4, 6. No Inf/NaN.
 *
 * Rounding is to nearest with ties to the even code (the spec's 0.25→0, 0.75→1, 1.25→1, 1.75→2,
 * 2.5→2, 3.5→4, 5→4), anything above 5 saturates to 6 — exactly ModelOpt's `_cast_fp4`
 * (modelopt/torch/quantization/qtensor/nvfp4_tensor.py: searchsorted on the bounds
 * [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5] plus one at the odd bounds 0.75/1.75/3.5).
 * Sign bit: set iff x < 0, again as ModelOpt's `sign_bit = (weight < 0)`: a small negative value that
 * rounds to zero keeps the sign (-0.1 → 0b1000, "-0"), while -0 itself gives +0 (code 0).
 * Other packers may write +0 for such values; every variant decodes to 0.
 * NaN maps to code 0b0111 (the comparison chain falls through; never produced by quantizeNvfp4).
 * The native/CUDA twin is `encodeE2m1` in native/common/nvfp4_math.h.
 */
export const E2M1_MAX = 6;

/** Decoded value of every 4-bit code (bit 3 = sign). */
export const E2M1_TO_FLOAT: Float32Array = new Float32Array([
  0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6,
]);

/** Magnitude code (0..7) of |x| with RNE ties; NaN → 7. */
export function e2m1MagnitudeCode(a: number): number {
  if (a <= 0.25) return 0;
  if (a < 0.75) return 1;
  if (a <= 1.25) return 2;
  if (a < 1.75) return 3;
  if (a <= 2.5) return 4;
  if (a < 3.5) return 5;
  if (a <= 5) return 6;
  return 7;
}

export function floatToE2M1(x: number): number {
  return (x < 0 ? 0x8 : 0) | e2m1MagnitudeCode(Math.abs(x));
}

export function e2m1ToFloat(code: number): number {
  return E2M1_TO_FLOAT[code & 0x0f] as number;
}
