/**
 * FP8 E4M3 ("e4m3fn", OCP FP8): 1 sign, 4 exponent (bias 7), 3 mantissa bits, no infinities,
 * 0x7f / 0xff are NaN, largest finite 0x7e = 448, smallest subnormal 2^-9.
 *
 * Encoding rounds to nearest, ties to even, and saturates to ±448 ("satfinite", like CUDA's
 * `__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)`; plain `torch.Tensor.to(float8_e4m3fn)`
 * does NOT saturate). ±Infinity saturate too; NaN encodes as 0x7f.
 * The native/CUDA twin is `encodeE4m3` in native/common/nvfp4_math.h and must stay bit-identical.
 */
import { exponentOf, isNegative, roundHalfToEven } from "./round.ts";

export const E4M3_MAX = 448;
export const E4M3_NAN = 0x7f;
/** Both NaN encodings (either sign). */
export const E4M3_NAN_BYTES: readonly number[] = [E4M3_NAN, E4M3_NAN | 0x80];
/** Smallest normal E4M3 value (exponent field 1). */
const E4M3_MIN_NORMAL = 2 ** -6;

export function e4m3ToFloat(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exp = (byte >> 3) & 0x0f;
  const man = byte & 0x07;
  if (exp === 0x0f && man === 0x07) return Number.NaN;
  if (exp === 0) return sign * man * 2 ** -9;
  return sign * (8 + man) * 2 ** (exp - 10);
}

/** Decoded value of every E4M3 byte (index = byte). NaN at 0x7f and 0xff. */
export const E4M3_TO_FLOAT: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = e4m3ToFloat(b);
  return table;
})();

/**
 * Round x (its exact value; float32 inputs give the same result as rounding in float32) to E4M3.
 * Returns the byte.
 */
export function floatToE4M3(x: number): number {
  if (Number.isNaN(x)) return E4M3_NAN;
  const sign = isNegative(x) ? 0x80 : 0;
  const a = Math.abs(x);
  if (a >= E4M3_MAX) return sign | 0x7e;
  if (a < E4M3_MIN_NORMAL) {
    // Subnormal quantum is 2^-9; a result of 8 is exactly byte 0x08 = 2^-6, the smallest normal.
    return sign | roundHalfToEven(a * 512);
  }
  const e = exponentOf(a); // -6 ..= 8
  const m = roundHalfToEven(a * 2 ** (3 - e)); // 8 ..= 16; 16 carries into the exponent
  return sign | (((e + 7) << 3) + (m - 8));
}
