/**
 * An FP8 block-scaled weight as BF16, for formats that cannot describe FP8 blocks (ModelOpt NVFP4
 * excludes such Linears and engines then load them as BF16). value = fround(e4m3 · scale), then
 * rounded to bfloat16 (nearest, ties to even: torch's float32 → bfloat16 cast).
 */
import { E4M3_TO_FLOAT } from "../codecs/e4m3.ts";
import { NonFiniteValueError } from "../nvfp4/errors.ts";
import type { Fp8BlockScaledTensor } from "../nvfp4/types.ts";

export function fp8BlockToBf16(t: Fp8BlockScaledTensor): Uint8Array {
  const out = new Uint16Array(t.rows * t.cols);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const scaleCols = Math.ceil(t.cols / t.blockCols);
  for (let r = 0; r < t.rows; r++) {
    const scaleRow = Math.floor(r / t.blockRows) * scaleCols;
    for (let c = 0; c < t.cols; c++) {
      const i = r * t.cols + c;
      f32[0] =
        (E4M3_TO_FLOAT[t.data[i] as number] as number) *
        (t.scale[scaleRow + Math.floor(c / t.blockCols)] as number);
      const v = f32[0] as number;
      if (!Number.isFinite(v)) throw new NonFiniteValueError(Number.isNaN(v) ? "nan" : "inf", i, t.cols);
      const bits = u32[0] as number;
      out[i] = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
    }
  }
  return new Uint8Array(out.buffer);
}
