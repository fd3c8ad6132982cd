/**
 * 16-bit float codecs: bfloat16 and IEEE binary16, both round-to-nearest-even.
 */
import { exponentOf, isNegative, roundHalfToEven } from "./round.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * float32 → bfloat16 bits. x is first rounded to float32 (all fp4kit data is float32, and this is
 * the torch `float32 → bfloat16` path), then the low 16 bits are rounded off RNE. NaN → 0x7fc0
 * (quiet NaN, sign dropped); overflow rounds to ±Inf as IEEE does.
 */
export function floatToBf16(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  f32[0] = x;
  const bits = u32[0] as number;
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

export function bf16ToFloat(u16: number): number {
  u32[0] = (u16 & 0xffff) << 16;
  return f32[0] as number;
}

/**
 * Number → IEEE binary16 bits, rounding the exact value once (RNE), with subnormals; values that
 * round beyond 65504 become ±Inf; NaN → 0x7e00.
 */
export function floatToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = isNegative(x) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Number.POSITIVE_INFINITY) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfToEven(a * 2 ** 24); // subnormal; 0x400 = min normal
  const e = exponentOf(a);
  const m = roundHalfToEven(a * 2 ** (10 - e)); // 1024 ..= 2048
  const bits = ((e + 15) << 10) + (m - 1024);
  return sign | Math.min(bits, 0x7c00);
}

export function f16ToFloat(u16: number): number {
  const sign = u16 & 0x8000 ? -1 : 1;
  const exp = (u16 >> 10) & 0x1f;
  const man = u16 & 0x3ff;
  if (exp === 0x1f) return man === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exp === 0) return sign * man * 2 ** -24;
  return sign * (1024 + man) * 2 ** (exp - 25);
}
