/**
 * TypeScript reference of the NVFP4 hot loop. Mirrors float32 arithmetic exactly (every float32
 * operation is followed by Math.fround, which is what a single-precision IEEE operation does), so
 * its bytes are THE definition that the C++ addon (native/cpu) and the CUDA kernels (native/cuda)
 * must reproduce bit for bit. The shared C++/CUDA twin is native/common/nvfp4_math.h; change both
 * together. The operation order is written down in docs/nvfp4-math.md.
 */
import { E2M1_TO_FLOAT, e2m1MagnitudeCode } from "../codecs/e2m1.ts";
import { E4M3_TO_FLOAT, floatToE4M3 } from "../codecs/e4m3.ts";
import { NonFiniteValueError } from "./errors.ts";
import type {
  Fp8BlockScaledTensor,
  Nvfp4ErrorStats,
  Nvfp4OutputBuffers,
  Nvfp4QuantizeResult,
} from "./types.ts";
import { NVFP4_GROUP_SIZE, NVFP4_STATS_CHUNK_GROUPS } from "./types.ts";
import {
  allocateOutputs,
  FLOAT32_MIN_NORMAL,
  scaleGridShape,
  validateFp8BlockScaledTensor,
  validateGlobalScale,
  validateNvfp4Shape,
} from "./validate.ts";

const fround = Math.fround;
const FLOAT32_MAX = 3.4028234663852886e38;
/** 6 · 448 = 2688, exact in float32: E2M1 max times E4M3 max. */
export const NVFP4_GLOBAL_SCALE_DIVISOR = 2688;

function nonFinite(v: number, index: number, cols: number): NonFiniteValueError {
  return new NonFiniteValueError(Number.isNaN(v) ? "nan" : "inf", index, cols);
}

/**
 * float32 max |x| over the dequantized tensor. Throws NonFiniteValueError (lowest index) on NaN/Inf.
 */
export function fp8BlockAmax(t: Fp8BlockScaledTensor): number {
  validateFp8BlockScaledTensor(t);
  const { rows, cols, data, scale, blockRows, blockCols } = t;
  const { scaleCols } = scaleGridShape(t);
  let amax = 0;
  for (let r = 0; r < rows; r++) {
    const scaleRow = Math.floor(r / blockRows) * scaleCols;
    const rowBase = r * cols;
    for (let c0 = 0; c0 < cols; c0 += blockCols) {
      const s = scale[scaleRow + c0 / blockCols] as number;
      const end = Math.min(c0 + blockCols, cols);
      for (let c = c0; c < end; c++) {
        const v = fround((E4M3_TO_FLOAT[data[rowBase + c] as number] as number) * s);
        const a = Math.abs(v);
        if (!(a <= FLOAT32_MAX)) throw nonFinite(v, rowBase + c, cols);
        if (a > amax) amax = a;
      }
    }
  }
  return amax;
}

/**
 * gs = fround(amax / 2688) — ModelOpt's `amax.float() / (6.0 * 448.0)`
 * (modelopt/torch/quantization/qtensor/nvfp4_tensor.py, get_weights_scaling_factor_2).
 *
 * Determinism at the edges (documented in docs/nvfp4-math.md):
 * - amax = 0 (an all-zero tensor or fused group) → 1.0. Any positive gs gives the same all-zero
 *   codes and scales; 1.0 keeps the compressed-tensors reciprocal (1/gs) finite.
 * - amax so small that amax/2688 is below 2^-126 → 2^-126, keeping gs a normal float32 (see
 *   validateGlobalScale); block scales then simply stay below 448.
 * - amax must be a finite, non-negative float32 (what fp8BlockAmax returns).
 */
export function nvfp4GlobalScale(amax: number): number {
  validateAmax(amax);
  if (amax === 0) return 1;
  const gs = fround(amax / NVFP4_GLOBAL_SCALE_DIVISOR);
  return Math.max(gs, FLOAT32_MIN_NORMAL);
}

function validateAmax(amax: number): void {
  if (!(amax >= 0) || !Number.isFinite(amax) || fround(amax) !== amax) {
    throw new RangeError(`amax must be a finite non-negative float32, got ${amax}`);
  }
}

/**
 * Halving fold of buf[0..width): buf[i] += buf[i + half] for half = width/2 … 1; returns buf[0].
 * This is exactly what a CUDA warp computes in lane 0 with `__shfl_xor_sync` at offsets 16…1, and
 * what the C++ code does: the fixed summation tree that makes the stats bit-identical everywhere.
 */
function foldSum(buf: Float64Array, width: number): number {
  for (let half = width >> 1; half >= 1; half >>= 1) {
    for (let i = 0; i < half; i++) buf[i] = (buf[i] as number) + (buf[i + half] as number);
  }
  return buf[0] as number;
}

/**
 * Quantize to NVFP4 with the global scale gs (from nvfp4GlobalScale, possibly of a fused group).
 *
 * Per 16-element group along cols, in float32:
 *   groupAmax   = max |v|,  v = fround(e4m3(byte) · blockScale)
 *   scaleByte   = groupAmax == 0 ? 0 : e4m3_rne_satfinite(fround(groupAmax / fround(6 · gs)))
 *   if scaleByte == 0: every code is 0   (all-zero group, or a scale that underflows E4M3)
 *   else denom  = fround(e4m3ToFloat(scaleByte) · gs)
 *        code   = e2m1_rne(fround(v / denom))            — a true division, no reciprocal
 * Same order as ModelOpt's NVFP4QTensor.get_weights_scaling_factor / quantize.
 */
export function quantizeNvfp4(
  t: Fp8BlockScaledTensor,
  globalScale: number,
  out?: Nvfp4OutputBuffers,
): Nvfp4QuantizeResult {
  validateNvfp4Shape(t);
  validateGlobalScale(globalScale);
  const { rows, cols, data, scale, blockRows, blockCols } = t;
  const { packed, blockScales } = allocateOutputs(t, out);
  const { scaleCols } = scaleGridShape(t);
  const gs = globalScale;
  const sixGs = fround(6 * gs);
  const groupsPerRow = cols / NVFP4_GROUP_SIZE;
  const chunkCount = Math.ceil(groupsPerRow / NVFP4_STATS_CHUNK_GROUPS);

  const values = new Float32Array(NVFP4_GROUP_SIZE);
  const elementSq = new Float64Array(NVFP4_GROUP_SIZE);
  const chunkErr = new Float64Array(NVFP4_STATS_CHUNK_GROUPS);
  const chunkRef = new Float64Array(NVFP4_STATS_CHUNK_GROUPS);
  let sumSqError = 0;
  let sumSqRef = 0;
  let maxAbsError = 0;

  for (let r = 0; r < rows; r++) {
    const scaleRow = Math.floor(r / blockRows) * scaleCols;
    const rowBase = r * cols;
    let rowErr = 0;
    let rowRef = 0;
    for (let chunk = 0; chunk < chunkCount; chunk++) {
      chunkErr.fill(0);
      chunkRef.fill(0);
      const firstGroup = chunk * NVFP4_STATS_CHUNK_GROUPS;
      const lastGroup = Math.min(firstGroup + NVFP4_STATS_CHUNK_GROUPS, groupsPerRow);
      for (let g = firstGroup; g < lastGroup; g++) {
        const c0 = g * NVFP4_GROUP_SIZE;
        // Dequantize the group and find its amax.
        let groupAmax = 0;
        for (let j = 0; j < NVFP4_GROUP_SIZE; j++) {
          const c = c0 + j;
          const s = scale[scaleRow + Math.floor(c / blockCols)] as number;
          const v = fround((E4M3_TO_FLOAT[data[rowBase + c] as number] as number) * s);
          const a = Math.abs(v);
          if (!(a <= FLOAT32_MAX)) throw nonFinite(v, rowBase + c, cols);
          values[j] = v;
          if (a > groupAmax) groupAmax = a;
        }
        const scaleByte = groupAmax === 0 ? 0 : floatToE4M3(fround(groupAmax / sixGs));
        blockScales[r * groupsPerRow + g] = scaleByte;
        const scaleValue = E4M3_TO_FLOAT[scaleByte] as number;
        const denom = fround(scaleValue * gs);
        const packedBase = (rowBase + c0) >> 1;
        for (let j = 0; j < NVFP4_GROUP_SIZE; j += 2) {
          const v0 = values[j] as number;
          const v1 = values[j + 1] as number;
          let code0 = 0;
          let code1 = 0;
          if (scaleByte !== 0) {
            const q0 = fround(v0 / denom);
            const q1 = fround(v1 / denom);
            code0 = (q0 < 0 ? 8 : 0) | e2m1MagnitudeCode(Math.abs(q0));
            code1 = (q1 < 0 ? 8 : 0) | e2m1MagnitudeCode(Math.abs(q1));
          }
          packed[packedBase + (j >> 1)] = code0 | (code1 << 4);
          // Error of the value an engine reconstructs: (code · scale_fp8) is exact, then · gs.
          const e0 = fround(fround((E2M1_TO_FLOAT[code0] as number) * scaleValue) * gs) - v0;
          const e1 = fround(fround((E2M1_TO_FLOAT[code1] as number) * scaleValue) * gs) - v1;
          elementSq[j] = e0 * e0;
          elementSq[j + 1] = e1 * e1;
          const a0 = Math.abs(e0);
          const a1 = Math.abs(e1);
          if (a0 > maxAbsError) maxAbsError = a0;
          if (a1 > maxAbsError) maxAbsError = a1;
        }
        const lane = g - firstGroup;
        chunkErr[lane] = foldSum(elementSq, NVFP4_GROUP_SIZE);
        for (let j = 0; j < NVFP4_GROUP_SIZE; j++) {
          const v = values[j] as number;
          elementSq[j] = v * v;
        }
        chunkRef[lane] = foldSum(elementSq, NVFP4_GROUP_SIZE);
      }
      rowErr += foldSum(chunkErr, NVFP4_STATS_CHUNK_GROUPS);
      rowRef += foldSum(chunkRef, NVFP4_STATS_CHUNK_GROUPS);
    }
    sumSqError += rowErr;
    sumSqRef += rowRef;
  }
  const stats: Nvfp4ErrorStats = { sumSqError, sumSqRef, maxAbsError, count: rows * cols };
  return { packed, blockScales, stats };
}

/** sqrt(sumSqError / sumSqRef); 0 for an all-zero source. */
export function relativeRmsError(stats: Nvfp4ErrorStats): number {
  return stats.sumSqRef === 0 ? 0 : Math.sqrt(stats.sumSqError / stats.sumSqRef);
}
