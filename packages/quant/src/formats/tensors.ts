/** Output tensor descriptions and the bytes of scalar scale tensors. */
import { type Dtype, tensorByteLength } from "../safetensors/dtypes.ts";
import type { OutputTensor } from "./types.ts";

export function tensor(name: string, dtype: Dtype, shape: number[]): OutputTensor {
  return { name, dtype, shape, bytes: tensorByteLength(dtype, shape) ?? 0 };
}

/** A value as the float32 an F32 scale tensor holds. */
export function f32Scalar(value: number): number {
  return Math.fround(value);
}
