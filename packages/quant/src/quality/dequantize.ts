/**
 * Plain dequantizers: NVFP4 output back to float32 the way engines read it, and the FP8 or MXFP4
 * source with its block scales. Independent of the quantization kernels (only the codec tables are
 * shared), so tests and checks can compare an output with its source without trusting the kernel.
 */
import { E2M1_TO_FLOAT } from "../codecs/e2m1.ts";
import { E4M3_TO_FLOAT } from "../codecs/e4m3.ts";
import { e8m0ToFloat } from "../codecs/e8m0.ts";
import type { Fp8BlockScaledTensor } from "../nvfp4/types.ts";

const GROUP = 16;

/**
 * value[r][c] = e2m1(code) · e4m3(blockScales[r][c/16]) · globalScale, with code = low nibble of
 * packed[(r·cols + c)/2] for even c, high nibble for odd c. `globalScale` is gs (ModelOpt's
 * weight_scale_2; compressed-tensors stores 1/gs as weight_global_scale).
 */
export function dequantizeNvfp4(
  packed: Uint8Array,
  blockScales: Uint8Array,
  globalScale: number,
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  const groups = cols / GROUP;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const byte = packed[i >> 1] as number;
      const code = c % 2 === 0 ? byte & 0x0f : byte >> 4;
      const scale = E4M3_TO_FLOAT[blockScales[r * groups + Math.floor(c / GROUP)] as number] as number;
      out[i] = (E2M1_TO_FLOAT[code] as number) * scale * globalScale;
    }
  }
  return out;
}

/** value[r][c] = e4m3(data[r][c]) · scale[r / blockRows][c / blockCols]. */
export function dequantizeFp8Block(t: Fp8BlockScaledTensor): Float32Array {
  const out = new Float32Array(t.rows * t.cols);
  const scaleCols = Math.ceil(t.cols / t.blockCols);
  for (let r = 0; r < t.rows; r++) {
    const scaleRow = Math.floor(r / t.blockRows) * scaleCols;
    for (let c = 0; c < t.cols; c++) {
      const s = t.scale[scaleRow + Math.floor(c / t.blockCols)] as number;
      out[r * t.cols + c] = (E4M3_TO_FLOAT[t.data[r * t.cols + c] as number] as number) * s;
    }
  }
  return out;
}

/**
 * value[r][c] = e2m1(code) · 2^(scales[r][c/32] − 127), codes packed as for NVFP4 (element 2k in
 * the low nibble). float32: exact for block exponents within about ±125.
 */
export function dequantizeMxfp4(
  packed: Uint8Array,
  scales: Uint8Array,
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  const blocks = cols / 32;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const byte = packed[i >> 1] as number;
      const code = c % 2 === 0 ? byte & 0x0f : byte >> 4;
      out[i] =
        (E2M1_TO_FLOAT[code] as number) * e8m0ToFloat(scales[r * blocks + Math.floor(c / 32)] as number);
    }
  }
  return out;
}

/** sqrt(Σ(a − b)² / Σ b²) and max |a − b|. */
export function compareToReference(
  approx: Float32Array,
  exact: Float32Array,
): { relRmsError: number; maxAbsError: number } {
  let err = 0;
  let ref = 0;
  let maxAbs = 0;
  for (let i = 0; i < exact.length; i++) {
    const d = (approx[i] as number) - (exact[i] as number);
    err += d * d;
    ref += (exact[i] as number) ** 2;
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  return { relRmsError: ref === 0 ? 0 : Math.sqrt(err / ref), maxAbsError: maxAbs };
}
