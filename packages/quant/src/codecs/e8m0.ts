/**
 * E8M0 ("e8m0fnu", OCP MX scale): an unsigned biased exponent byte, value 2^(b-127), 0xff = NaN,
 * no zero, no sign. DeepSeek's FP4-expert releases store their block scales this way.
 */
import { exponentOf } from "./round.ts";

export const E8M0_NAN = 0xff;

export function e8m0ToFloat(byte: number): number {
  if (byte === E8M0_NAN) return Number.NaN;
  return 2 ** (byte - 127);
}

/**
 * Encode a positive value as E8M0, rounding log2 to the nearest exponent in the linear domain
 * the way PyTorch's `fp8e8m0fnu_from_fp32_value` (c10/util/Float8_e8m0fnu-inl.h) does on the
 * float32 bits: round up when the float32 mantissa is > 0.5, or exactly 0.5 with an odd exponent
 * (ties to even exponent). Powers of two encode exactly. NaN, ±Inf → 0xff; values ≤ 2^-127
 * (including 0 and negatives, which E8M0 cannot represent) → 0x00; values ≥ 2^127 → 0xfe.
 */
export function floatToE8M0(x: number): number {
  if (!Number.isFinite(x)) return E8M0_NAN;
  const a = Math.fround(Math.abs(x));
  if (a <= 2 ** -127) return 0;
  const e = exponentOf(a);
  const mantissa = a / 2 ** e - 1; // [0, 1)
  let biased = e + 127;
  if (mantissa > 0.5 || (mantissa === 0.5 && (biased & 1) === 1)) biased += 1;
  return Math.min(biased, 0xfe);
}
