/**
 * Argument checks shared by all kernels (the native ones call these before crossing into C++).
 */
import { InvalidGlobalScaleError, InvalidTensorShapeError } from "./errors.ts";
import type { Fp8BlockScaledTensor, Nvfp4OutputBuffers } from "./types.ts";
import { NVFP4_GROUP_SIZE } from "./types.ts";

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isPositive = (n: number) => Number.isSafeInteger(n) && n > 0;

/** ceil(rows/blockRows) · ceil(cols/blockCols). */
export function scaleGridShape(t: Fp8BlockScaledTensor): { scaleRows: number; scaleCols: number } {
  return { scaleRows: Math.ceil(t.rows / t.blockRows), scaleCols: Math.ceil(t.cols / t.blockCols) };
}

export function validateFp8BlockScaledTensor(t: Fp8BlockScaledTensor): void {
  if (!(t.data instanceof Uint8Array))
    throw new InvalidTensorShapeError("data must be a Uint8Array of E4M3 bytes");
  if (!(t.scale instanceof Float32Array)) throw new InvalidTensorShapeError("scale must be a Float32Array");
  if (!isCount(t.rows) || !isCount(t.cols)) {
    throw new InvalidTensorShapeError(`rows/cols must be non-negative integers, got ${t.rows}×${t.cols}`);
  }
  if (!isPositive(t.blockRows) || !isPositive(t.blockCols)) {
    throw new InvalidTensorShapeError(
      `block size must be positive integers, got ${t.blockRows}×${t.blockCols}`,
    );
  }
  if (t.data.length !== t.rows * t.cols) {
    throw new InvalidTensorShapeError(`data has ${t.data.length} bytes, expected ${t.rows}×${t.cols}`);
  }
  const { scaleRows, scaleCols } = scaleGridShape(t);
  if (t.scale.length !== scaleRows * scaleCols) {
    throw new InvalidTensorShapeError(
      `scale has ${t.scale.length} entries, expected ${scaleRows}×${scaleCols} for ${t.blockRows}×${t.blockCols} blocks`,
    );
  }
}

/** quantize needs whole 16-element groups along the input dimension. */
export function validateNvfp4Shape(t: Fp8BlockScaledTensor): void {
  validateFp8BlockScaledTensor(t);
  if (t.cols % NVFP4_GROUP_SIZE !== 0) {
    throw new InvalidTensorShapeError(
      `NVFP4 needs cols to be a multiple of ${NVFP4_GROUP_SIZE}, got ${t.cols}`,
    );
  }
}

/** Smallest positive normal float32; see nvfp4GlobalScale for why gs is kept normal. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * A global scale must be a float32 value, finite, and at least the smallest normal float32: then
 * `fround(scale_fp8 · gs)` can never underflow to 0 for a non-zero scale byte (2^-9 · 2^-126 is a
 * float32 subnormal, > 0), so no division by zero can happen in the codes.
 */
export function validateGlobalScale(gs: number): void {
  if (typeof gs !== "number" || !Number.isFinite(gs)) throw new InvalidGlobalScaleError(gs, "not finite");
  if (Math.fround(gs) !== gs) throw new InvalidGlobalScaleError(gs, "not a float32 value (use Math.fround)");
  if (gs < FLOAT32_MIN_NORMAL)
    throw new InvalidGlobalScaleError(gs, "below the smallest normal float32 (2^-126)");
}

export function allocateOutputs(
  t: Fp8BlockScaledTensor,
  out: Nvfp4OutputBuffers | undefined,
): { packed: Uint8Array; blockScales: Uint8Array } {
  const packedLength = (t.rows * t.cols) / 2;
  const scalesLength = (t.rows * t.cols) / NVFP4_GROUP_SIZE;
  const packed = out?.packed ?? new Uint8Array(packedLength);
  const blockScales = out?.blockScales ?? new Uint8Array(scalesLength);
  if (packed.length !== packedLength) {
    throw new InvalidTensorShapeError(`packed output has ${packed.length} bytes, expected ${packedLength}`);
  }
  if (blockScales.length !== scalesLength) {
    throw new InvalidTensorShapeError(
      `blockScales output has ${blockScales.length} bytes, expected ${scalesLength}`,
    );
  }
  return { packed, blockScales };
}
