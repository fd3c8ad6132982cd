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
 * Halving fold of buf[0..width) in float32: buf[i] = fround(buf[i] + buf[i + half]) for
 * half = width/2 … 1; returns buf[0]. This is exactly what a CUDA warp computes in lane 0 with
 * `__shfl_xor_sync` at offsets 16…1: the fixed tree that makes the stats bit-identical everywhere.
 */
function foldSum32(buf: Float32Array, width: number): number {
  for (let half = width >> 1; half >= 1; half >>= 1) {
    for (let i = 0; i < half; i++) buf[i] = (buf[i] as number) + (buf[i + half] as number);
  }
  return buf[0] as number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to r (a finite float32) in the direction of `toward`. */
function nextFloat32(r: number, toward: number): number {
  f32[0] = r;
  if (r === 0) u32[0] = 1;
  else if (toward > r === r > 0) u32[0] = (u32[0] as number) + 1;
  else u32[0] = (u32[0] as number) - 1;
  const n = f32[0] as number;
  return r === 0 && toward < 0 ? -n : n;
}

/**
 * fround(a·b + c) with one rounding: the float32 fused multiply-add (CUDA's __fmaf_rn, C's fmaf)
 * of float32 values. a·b is exact in float64 (two 24-bit significands); a·b + c in float64 can
 * round, and fround of that rounds again, which differs from one rounding only when the float64
 * sum lands exactly on a float32 midpoint: then the exact remainder (TwoSum) decides the side.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fround(s);
  if (r === s || !Number.isFinite(r)) return r;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  if (err === 0) return r;
  const n = nextFloat32(r, s);
  if (s - r !== n - s) return r;
  return err > 0 === n > r ? n : r;
}

/**
 * The stats unit of a global scale: 2^(E+8) with E the exponent of gs (gs is a normal float32, so
 * gs / 2^E lies in [1, 2)). Errors and values are squared in units of it, so the float32 sums
 * neither overflow nor underflow for any tensor (every |v| ≤ amax ≈ 2688·gs < 2^5·u); and the
 * reconstruction step in units, fround(scale·gs)/u, stays below 4, which the GPU's fast path needs
 * (docs/nvfp4-math.md, "Error statistics").
 */
export function nvfp4StatsUnit(gs: number): number {
  f32[0] = gs;
  return 2 ** ((((u32[0] as number) >>> 23) & 0xff) - 127 + 8);
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
 *
 * Error statistics (docs/nvfp4-math.md, "Error statistics"), in stats units u = nvfp4StatsUnit(gs):
 *   xs = fround(|v| / u),  es = fround(e2m1(code) · fround(denom / u) − xs) (one rounding: the
 *   value an engine reconstructs, e2m1 · scale_fp8 · gs, with the step denom the codes were chosen
 *   with); per group a float32 fused multiply-add chain over j = 0…15 of es² (and of xs²); per
 *   chunk of 32 groups a float32 halving fold; rows and the tensor in float64; then times u² (and
 *   max |es| times u).
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
  const unit = nvfp4StatsUnit(gs);
  const perUnit = fround(1 / unit); // a power of two: exact
  const groupsPerRow = cols / NVFP4_GROUP_SIZE;
  const chunkCount = Math.ceil(groupsPerRow / NVFP4_STATS_CHUNK_GROUPS);

  const values = new Float32Array(NVFP4_GROUP_SIZE);
  const chunkErr = new Float32Array(NVFP4_STATS_CHUNK_GROUPS);
  const chunkRef = new Float32Array(NVFP4_STATS_CHUNK_GROUPS);
  let sumSqError = 0;
  let sumSqRef = 0;
  let maxAbsError = 0; // in stats units

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
        const denomInUnits = fround(denom * perUnit);
        const packedBase = (rowBase + c0) >> 1;
        let groupErr = 0;
        let groupRef = 0;
        for (let j = 0; j < NVFP4_GROUP_SIZE; j++) {
          const v = values[j] as number;
          let code = 0;
          if (scaleByte !== 0) {
            const q = fround(v / denom);
            code = (q < 0 ? 8 : 0) | e2m1MagnitudeCode(Math.abs(q));
          }
          const at = packedBase + (j >> 1);
          packed[at] = j % 2 === 0 ? code : (packed[at] as number) | (code << 4);
          // In stats units: the source magnitude, and the magnitude an engine reconstructs
          // (e2m1(code) · denom, here denom / unit) minus it, rounded once.
          const xs = fround(Math.abs(v) * perUnit);
          const es = fma32(E2M1_TO_FLOAT[code & 7] as number, denomInUnits, -xs);
          groupErr = fma32(es, es, groupErr);
          groupRef = fma32(xs, xs, groupRef);
          const a = Math.abs(es);
          if (a > maxAbsError) maxAbsError = a;
        }
        chunkErr[g - firstGroup] = groupErr;
        chunkRef[g - firstGroup] = groupRef;
      }
      rowErr += foldSum32(chunkErr, NVFP4_STATS_CHUNK_GROUPS);
      rowRef += foldSum32(chunkRef, NVFP4_STATS_CHUNK_GROUPS);
    }
    sumSqError += rowErr;
    sumSqRef += rowRef;
  }
  const unitSq = unit * unit; // a power of two: exact in float64
  const stats: Nvfp4ErrorStats = {
    sumSqError: sumSqError * unitSq,
    sumSqRef: sumSqRef * unitSq,
    maxAbsError: maxAbsError * unit,
    count: rows * cols,
  };
  return { packed, blockScales, stats };
}

/** sqrt(sumSqError / sumSqRef); 0 for an all-zero source. */
export function relativeRmsError(stats: Nvfp4ErrorStats): number {
  return stats.sumSqRef === 0 ? 0 : Math.sqrt(stats.sumSqError / stats.sumSqRef);
}
