/**
 * Data shapes shared by every NVFP4 kernel implementation.
 */

/**
 * An FP8 E4M3 weight with block scales, as DeepSeek stores it (`weight` + `weight_scale_inv` /
 * `scale`). The dequantized value of element [r][c] is
 * `fround(e4m3ToFloat(data[r*cols+c]) * scale[floor(r/blockRows) * ceil(cols/blockCols) + floor(c/blockCols)])`.
 * Edge blocks are ragged when rows/cols are not multiples of the block size. A per-tensor scale is
 * blockRows = rows, blockCols = cols; E8M0 scales are decoded to float32 by the caller.
 */
export interface Fp8BlockScaledTensor {
  /** E4M3 bytes, row-major [rows, cols]. */
  data: Uint8Array;
  rows: number;
  cols: number;
  /** Dequantization multipliers, row-major [ceil(rows/blockRows), ceil(cols/blockCols)]. */
  scale: Float32Array;
  blockRows: number;
  blockCols: number;
}

/**
 * How far the NVFP4 result is from the FP8 source, accumulated in one fixed order (float32 per
 * group and per chunk of 32 groups, float64 above; see docs/nvfp4-math.md, "Error statistics") so
 * every implementation produces the same bits. Relative RMS error = sqrt(sumSqError / sumSqRef).
 */
export interface Nvfp4ErrorStats {
  /** Σ (nvfp4 − fp8)², nvfp4 = e2m1 · scale_fp8 · gs, each difference rounded once in float32. */
  sumSqError: number;
  /** Σ fp8², the source energy. */
  sumSqRef: number;
  /** max |nvfp4 − fp8|, as rounded above. */
  maxAbsError: number;
  /** Number of elements (rows · cols). */
  count: number;
}

export interface Nvfp4QuantizeResult {
  /** E2M1 codes, two per byte: element 2k in the low nibble, 2k+1 in the high nibble; [rows, cols/2]. */
  packed: Uint8Array;
  /** E4M3 block scale bytes, row-major [rows, cols/16] (not swizzled). */
  blockScales: Uint8Array;
  stats: Nvfp4ErrorStats;
}

/** Optional caller-owned output arrays (e.g. views into an output shard buffer) to avoid copies. */
export interface Nvfp4OutputBuffers {
  packed?: Uint8Array;
  blockScales?: Uint8Array;
}

export const NVFP4_GROUP_SIZE = 16;
/** Groups per stats chunk: the width of one CUDA warp; see "Error statistics" in docs/nvfp4-math.md. */
export const NVFP4_STATS_CHUNK_GROUPS = 32;
