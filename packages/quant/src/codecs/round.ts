/**
 * Exact rounding helpers shared by the minifloat codecs.
 *
 * JS numbers are IEEE binary64; every float32/E4M3/E2M1 value and every power-of-two scaling of one
 * is exactly representable, so the codecs can compute with plain doubles and round exactly once.
 */

/** Round to the nearest integer, ties to even (Math.round rounds ties up, which is not what IEEE does). */
export function roundHalfToEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** floor(log2(a)) for a finite a > 0, computed exactly (Math.log2 may be off by one near powers of two). */
export function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/** True for -0 and negative numbers (NaN is treated as positive). */
export function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}
