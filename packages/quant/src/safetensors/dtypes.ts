/**
 * Safetensors dtype names and their element widths in bits, as the reference implementation
 * (huggingface/safetensors, safetensors/src/tensor.rs `Dtype::bitsize`) defines them.
 * Sub-byte dtypes (F4, F6_*) are allowed only when a tensor's total bit count is a whole number
 * of bytes, as in the reference ("MisalignedSlice"). The names are @fp4kit/protocol's, which reports carry.
 */
import type { Dtype } from "@fp4kit/protocol";

export type { Dtype };

export const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const satisfies Record<Dtype, number>;

export function isDtype(name: string): name is Dtype {
  return Object.hasOwn(DTYPE_BITS, name);
}

/** Number of elements of a shape; a scalar (shape []) has one. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Bytes occupied by a tensor of this dtype and shape, or undefined when the element count is not
 * a safe integer or the bits do not fill whole bytes.
 */
export function tensorByteLength(dtype: Dtype, shape: readonly number[]): number | undefined {
  const elements = elementCount(shape);
  const bits = elements * DTYPE_BITS[dtype];
  if (!Number.isSafeInteger(bits) || bits % 8 !== 0) return undefined;
  return bits / 8;
}
