/**
 * FP8 E5M2 (OCP FP8, IEEE-like): 1 sign, 5 exponent (bias 15), 2 mantissa bits, with ±Inf
 * (0x7c / 0xfc) and NaN (exponent all ones, mantissa non-zero). Decode only: fp4kit never writes it.
 */
export function e5m2ToFloat(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exp = (byte >> 2) & 0x1f;
  const man = byte & 0x03;
  if (exp === 0x1f) return man === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exp === 0) return sign * man * 2 ** -16;
  return sign * (4 + man) * 2 ** (exp - 17);
}
