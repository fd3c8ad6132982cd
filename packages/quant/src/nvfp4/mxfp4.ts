/**
 * MXFP4 → NVFP4 without requantizing: the E2M1 codes are kept and each 32-element E8M0 block scale
 * 2^e is re-expressed as two 16-element E4M3 group scales 2^(e−G) under the power-of-two global
 * scale gs = 2^G shared by a fused group. That is exact for every block whose exponent lies in the
 * 18 powers of two E4M3 holds (2^−9 … 2^8) below the group's largest; a block further down is
 * rounded onto E4M3's smallest scale. docs/nvfp4-math.md ("MXFP4 sources") has the derivation.
 *
 * This is only bit work on one scale byte per 32 elements (a table look-up and a 16-bit store);
 * the codes are not read except in the rare blocks below the range, so the TypeScript code keeps
 * up with the disk, and there is no native or CUDA twin.
 */
import { E2M1_TO_FLOAT, floatToE2M1 } from "../codecs/e2m1.ts";
import { E8M0_NAN } from "../codecs/e8m0.ts";

/** Elements under one E8M0 scale. */
export const MXFP4_BLOCK = 32;
/** E8M0 exponent bias: byte b is 2^(b − 127). */
const E8M0_BIAS = 127;
/** The largest power of two E4M3 holds is 2^8 (0x78); its smallest value is 2^−9 (0x01). */
const E4M3_MAX_POW2 = 8;
const E4M3_MIN_POW2 = -9;
/** Below 2^−6, E4M3 values are subnormal. */
const E4M3_MIN_NORMAL_POW2 = -6;
/** gs stays a normal float32 with a finite reciprocal (compressed-tensors stores 1/gs). */
const MIN_GLOBAL_EXPONENT = -126;
/** Marks, in the table of `reexpressMxfp4`, a scale byte below E4M3's range, and one that must not occur. */
const BELOW_RANGE = -1;
const INVALID = -2;
/** Rounded groups whose position the stats keep (the count covers all). */
const ROUNDED_LISTED = 8;
/** Magnitude bits of both nibbles of a packed byte. */
const MAGNITUDE_BITS = 0x77;

/** A packed MXFP4 weight: `packed` [rows, cols/2] (element 2k in the low nibble), `scales` [rows, cols/32] E8M0. */
export interface Mxfp4Tensor {
  rows: number;
  cols: number;
  packed: Uint8Array;
  scales: Uint8Array;
}

/** What the re-expression of one weight did, group by group (16 elements each). */
export interface Mxfp4ReexpressStats {
  groups: number;
  /** Codes kept and scale exact: the NVFP4 values equal the MXFP4 values. */
  exactGroups: number;
  /** Of the exact groups, those on a subnormal E4M3 scale (2^−9 … 2^−7). */
  subnormalScaleGroups: number;
  /** Below E4M3's range under gs, with a non-zero code: scale 2^−9, codes rounded. */
  roundedGroups: number;
  /** [row, group] (group = column / 16) of the first rounded groups, row-major, at most 8. */
  firstRoundedGroups: [row: number, group: number][];
  /** Over the rounded groups, in the weight's units: Σ(nvfp4 − mxfp4)², Σ mxfp4², max |nvfp4 − mxfp4|. */
  sumSqError: number;
  sumSqRef: number;
  maxAbsError: number;
  /** Smallest and largest E8M0 exponent (byte − 127) of the weight's blocks; null when it has none. */
  scaleExponents: [min: number, max: number] | null;
}

/** A scale byte 0xff (E8M0 NaN); `index` is the lowest one, row-major in the scale grid. */
export class Mxfp4NanScaleError extends Error {
  constructor(
    readonly index: number,
    readonly row: number,
    readonly col: number,
  ) {
    super(`E8M0 block scale at [${row}, ${col}] is NaN (0xff)`);
    this.name = "Mxfp4NanScaleError";
  }
}

/** The largest E8M0 byte of a scale grid (undefined when empty). Throws Mxfp4NanScaleError on 0xff. */
export function maxScaleByte(scales: Uint8Array, scaleCols: number): number | undefined {
  if (scales.length === 0) return undefined;
  let max = 0;
  for (let i = 0; i < scales.length; i++) {
    const b = scales[i] as number;
    if (b > max) max = b;
  }
  if (max === E8M0_NAN) {
    const index = scales.indexOf(E8M0_NAN);
    throw new Mxfp4NanScaleError(index, Math.floor(index / scaleCols), index % scaleCols);
  }
  return max;
}

/**
 * G of gs = 2^G for a fused group whose largest E8M0 byte is `maxByte` (over all members): the
 * largest block scale lands on 2^8, the largest power of two in E4M3. No blocks → G = 0 (gs = 1).
 */
export function mxfp4GlobalExponent(maxByte: number | undefined): number {
  if (maxByte === undefined) return 0;
  return Math.max(maxByte - E8M0_BIAS - E4M3_MAX_POW2, MIN_GLOBAL_EXPONENT);
}

/** The E4M3 byte of 2^k for k in [−9, 8]: normal (k+7) << 3, subnormal 1 << (k+9). */
function e4m3PowerOfTwo(k: number): number {
  return k >= E4M3_MIN_NORMAL_POW2 ? (k + 7) << 3 : 1 << (k - E4M3_MIN_POW2);
}

/**
 * Writes the NVFP4 form of `t` under gs = 2^`globalExponent`: `packed` gets the codes (it may be
 * `t.packed` itself: only the codes of rounded groups change), `blockScales` [rows, cols/16] the
 * E4M3 group scales. Every scale byte must be ≤ the fused group's largest, which G came from.
 */
export function reexpressMxfp4(
  t: Mxfp4Tensor,
  globalExponent: number,
  out: { packed: Uint8Array; blockScales: Uint8Array },
): Mxfp4ReexpressStats {
  const { rows, cols, scales } = t;
  const blocks = (rows * cols) / MXFP4_BLOCK;
  if (cols % MXFP4_BLOCK !== 0 || scales.length !== blocks || t.packed.length !== (rows * cols) / 2) {
    throw new RangeError(`MXFP4 tensor [${rows}, ${cols}]: packed or scale size does not match`);
  }
  if (out.packed.length !== t.packed.length || out.blockScales.length !== 2 * blocks) {
    throw new RangeError(`NVFP4 outputs for [${rows}, ${cols}] have the wrong size`);
  }
  if (out.packed !== t.packed) out.packed.set(t.packed);

  // Both 16-element groups of a block get the same E4M3 byte: one 16-bit store per block.
  const pair = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const k = b - E8M0_BIAS - globalExponent;
    if (b === E8M0_NAN || k > E4M3_MAX_POW2) pair[b] = INVALID;
    else pair[b] = k < E4M3_MIN_POW2 ? BELOW_RANGE : e4m3PowerOfTwo(k) * 0x101;
  }
  if (out.blockScales.byteOffset % 2 !== 0)
    throw new RangeError("NVFP4 block scales must start at an even offset");
  const scalePairs = new Uint16Array(out.blockScales.buffer, out.blockScales.byteOffset, blocks);
  const histogram = new Float64Array(256);
  const stats: Mxfp4ReexpressStats = {
    groups: 2 * blocks,
    exactGroups: 0,
    subnormalScaleGroups: 0,
    roundedGroups: 0,
    firstRoundedGroups: [],
    sumSqError: 0,
    sumSqRef: 0,
    maxAbsError: 0,
    scaleExponents: null,
  };
  for (let i = 0; i < blocks; i++) {
    const b = scales[i] as number;
    histogram[b] = (histogram[b] as number) + 1;
    const p = pair[b] as number;
    if (p >= 0) scalePairs[i] = p;
    else if (p === BELOW_RANGE)
      reexpressBelowRange(
        out.packed,
        out.blockScales,
        i,
        b - E8M0_BIAS - globalExponent,
        globalExponent,
        cols / 16,
        stats,
      );
    else invalidScale(t, i, b, globalExponent);
  }
  for (let b = 0; b < 255; b++) {
    const k = b - E8M0_BIAS - globalExponent;
    const n = histogram[b] as number;
    if (n === 0) continue;
    const e = b - E8M0_BIAS;
    stats.scaleExponents = stats.scaleExponents === null ? [e, e] : [stats.scaleExponents[0], e];
    if (k < E4M3_MIN_POW2) continue;
    stats.exactGroups += 2 * n;
    if (k < E4M3_MIN_NORMAL_POW2) stats.subnormalScaleGroups += 2 * n;
  }
  return stats;
}

function invalidScale(t: Mxfp4Tensor, block: number, byte: number, globalExponent: number): never {
  const scaleCols = t.cols / MXFP4_BLOCK;
  const row = Math.floor(block / scaleCols);
  const col = block % scaleCols;
  if (byte === E8M0_NAN) throw new Mxfp4NanScaleError(block, row, col);
  throw new RangeError(
    `E8M0 byte ${byte} at [${row}, ${col}] is above 2^8 under global exponent ${globalExponent}, which was not taken from this tensor's group`,
  );
}

/**
 * Block `i` has 2^k·gs with k < −9: each of its groups with a non-zero code gets E4M3's smallest
 * scale, 2^−9 (the nearest to 2^k that keeps any value), and its codes are rounded to nearest,
 * ties to even, on that scale; an all-zero group gets scale 0 and keeps its codes (±0).
 */
function reexpressBelowRange(
  packed: Uint8Array,
  blockScales: Uint8Array,
  block: number,
  k: number,
  globalExponent: number,
  groupsPerRow: number,
  stats: Mxfp4ReexpressStats,
): void {
  // Values are e2m1 · 2^k; on scale 2^−9 the code's value is e2m1 · 2^(k+9) ≤ 3, no saturation.
  const shift = 2 ** (k - E4M3_MIN_POW2);
  const unit = 2 ** (globalExponent + E4M3_MIN_POW2);
  for (let g = 2 * block; g < 2 * block + 2; g++) {
    const base = g * 8;
    let magnitudes = 0;
    for (let j = base; j < base + 8; j++) magnitudes |= (packed[j] as number) & MAGNITUDE_BITS;
    if (magnitudes === 0) {
      blockScales[g] = 0;
      stats.exactGroups += 1;
      continue;
    }
    blockScales[g] = 1;
    stats.roundedGroups += 1;
    if (stats.firstRoundedGroups.length < ROUNDED_LISTED)
      stats.firstRoundedGroups.push([Math.floor(g / groupsPerRow), g % groupsPerRow]);
    for (let j = base; j < base + 8; j++) {
      const byte = packed[j] as number;
      const low = roundCode(byte & 0x0f, shift, unit, stats);
      const high = roundCode(byte >> 4, shift, unit, stats);
      packed[j] = low | (high << 4);
    }
  }
}

/** The code of value e2m1(code)·2^k on scale 2^−9 (shift = 2^(k+9)), with its error in real units. */
function roundCode(code: number, shift: number, unit: number, stats: Mxfp4ReexpressStats): number {
  const q = (E2M1_TO_FLOAT[code] as number) * shift;
  const rounded = floatToE2M1(q);
  // Real values: q·unit (source) and e2m1(rounded)·unit (output), unit = 2^−9·gs; all exact in float64.
  const error = Math.abs(((E2M1_TO_FLOAT[rounded] as number) - q) * unit);
  const ref = q * unit;
  stats.sumSqError += error * error;
  stats.sumSqRef += ref * ref;
  if (error > stats.maxAbsError) stats.maxAbsError = error;
  return rounded;
}
