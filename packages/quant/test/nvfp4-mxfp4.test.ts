/**
 * MXFP4 → NVFP4 re-expression: the dequantized NVFP4 output equals the dequantized MXFP4 source,
 * element by element, wherever the block's exponent is within E4M3's reach under gs; outside, the
 * output follows the rule of docs/nvfp4-math.md ("MXFP4 sources"), recomputed here per element.
 */
import { describe, expect, it } from "vitest";
import { E2M1_TO_FLOAT, E4M3_TO_FLOAT, floatToE2M1 } from "../src/codecs/index.ts";
import {
  Mxfp4NanScaleError,
  type Mxfp4Tensor,
  maxScaleByte,
  mxfp4GlobalExponent,
  reexpressMxfp4,
} from "../src/nvfp4/mxfp4.ts";
import { dequantizeMxfp4, dequantizeNvfp4 } from "../src/quality/dequantize.ts";
import { Prng } from "../src/synthetic/prng.ts";

function tensor(
  rows: number,
  cols: number,
  code: (i: number) => number,
  scale: (b: number) => number,
): Mxfp4Tensor {
  const packed = new Uint8Array((rows * cols) / 2);
  for (let i = 0; i < packed.length; i++) packed[i] = code(2 * i) | (code(2 * i + 1) << 4);
  const scales = Uint8Array.from({ length: (rows * cols) / 32 }, (_, b) => scale(b));
  return { rows, cols, packed, scales };
}

function convert(t: Mxfp4Tensor, globalExponent = mxfp4GlobalExponent(maxScaleByte(t.scales, t.cols / 32))) {
  const out = { packed: new Uint8Array(t.packed.length), blockScales: new Uint8Array(t.scales.length * 2) };
  const stats = reexpressMxfp4(t, globalExponent, out);
  const values = dequantizeNvfp4(out.packed, out.blockScales, 2 ** globalExponent, t.rows, t.cols);
  return { out, stats, values, source: dequantizeMxfp4(t.packed, t.scales, t.rows, t.cols) };
}

/** Elements whose values differ (Object.is: -0 and 0 count as equal values here, as engines see them). */
function differences(a: Float32Array, b: Float32Array): number[] {
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff;
}

describe("MXFP4 → NVFP4: global exponent", () => {
  it("puts the largest block scale on 2^8 and keeps gs a normal float32 with a finite reciprocal", () => {
    expect(mxfp4GlobalExponent(127 - 7)).toBe(-15);
    expect(mxfp4GlobalExponent(254)).toBe(119);
    expect(mxfp4GlobalExponent(0)).toBe(-126);
    expect(mxfp4GlobalExponent(undefined)).toBe(0);
    for (const b of [0, 1, 100, 127, 254]) {
      const gs = 2 ** mxfp4GlobalExponent(b);
      expect(Math.fround(gs)).toBe(gs);
      expect(Math.fround(1 / gs)).toBe(1 / gs);
    }
  });

  it("finds the largest byte and reports the lowest NaN byte by row and column", () => {
    expect(maxScaleByte(Uint8Array.from([3, 200, 7]), 3)).toBe(200);
    expect(maxScaleByte(new Uint8Array(0), 4)).toBeUndefined();
    const error = (() => {
      try {
        maxScaleByte(Uint8Array.from([1, 2, 3, 4, 0xff, 0xff]), 2);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Mxfp4NanScaleError);
    expect(error).toMatchObject({ index: 4, row: 2, col: 0 });
  });
});

describe("MXFP4 → NVFP4: exact where E4M3 reaches", () => {
  it("keeps every code and reproduces every value for the 18 exponents below the largest", () => {
    // 18 rows, one per exponent 0 … −17 below the top; every code in every block.
    const top = 127 - 5;
    const t = tensor(
      18,
      64,
      (i) => i % 16,
      (b) => top - Math.floor(b / 2),
    );
    const { out, stats, values, source } = convert(t);
    expect(differences(values, source)).toEqual([]);
    expect([...out.packed]).toEqual([...t.packed]);
    expect(stats).toMatchObject({ groups: 72, exactGroups: 72, roundedGroups: 0, subnormalScaleGroups: 12 });
    expect(stats.scaleExponents).toEqual([-22, -5]);
    // Scale bytes: 2^8 = 0x78 at the top, 2^-6 = 0x08 the smallest normal, then 2^-7, 2^-8, 2^-9 subnormal.
    const rowScale = (r: number) => out.blockScales[r * 4] as number;
    expect([0, 14, 15, 16, 17].map(rowScale)).toEqual([0x78, 0x08, 0x04, 0x02, 0x01]);
    for (let r = 0; r < 18; r++) expect(E4M3_TO_FLOAT[rowScale(r)]).toBe(2 ** (8 - r));
  });

  it("shares gs across a fused pair: the member with the smaller scales stays exact", () => {
    const w1 = tensor(
      4,
      64,
      (i) => (i * 7) % 16,
      () => 120,
    );
    const w3 = tensor(
      4,
      64,
      (i) => (i * 5) % 16,
      () => 110,
    );
    const g = mxfp4GlobalExponent(Math.max(maxScaleByte(w1.scales, 2) ?? 0, maxScaleByte(w3.scales, 2) ?? 0));
    for (const t of [w1, w3]) {
      const { values, source, stats } = convert(t, g);
      expect(differences(values, source)).toEqual([]);
      expect(stats.roundedGroups).toBe(0);
    }
  });

  it("is exact on random codes and exponents within the range, writing the codes in place", () => {
    const rng = new Prng(7);
    const t = tensor(
      64,
      256,
      () => rng.nextInt(16),
      () => 100 + rng.nextInt(18),
    );
    const codes = t.packed.slice();
    const g = mxfp4GlobalExponent(maxScaleByte(t.scales, 8));
    const blockScales = new Uint8Array(t.scales.length * 2);
    const stats = reexpressMxfp4(t, g, { packed: t.packed, blockScales });
    expect(stats.exactGroups).toBe(stats.groups);
    expect([...t.packed]).toEqual([...codes]);
    const values = dequantizeNvfp4(t.packed, blockScales, 2 ** g, 64, 256);
    expect(differences(values, dequantizeMxfp4(codes, t.scales, 64, 256))).toEqual([]);
  });
});

describe("MXFP4 → NVFP4: blocks below E4M3's range", () => {
  it("rounds the codes on scale 2^-9 (ties to even), keeps all-zero groups exact, and measures the error", () => {
    // Row 0: the top block (2^0) and one 2^-18 below it (k = −10); row 1: a zero block 2^-30 below.
    const codes = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 0, 8];
    const t = tensor(
      2,
      64,
      (i) => (i >= 64 ? (i % 2 === 0 ? 0 : 8) : (codes[i % 16] as number)),
      (b) => [127, 109, 97, 127][b] as number,
    );
    const { out, stats, values, source } = convert(t);
    expect(mxfp4GlobalExponent(127)).toBe(-8);
    // Block 1 (k = −10): values e2m1·2^-1 on the 2^-9 scale: 0.25→0, 0.5→0.5, 0.75→1, 1→1, 1.5→1.5,
    // 2→2, 3→3; −0.25 keeps its sign bit ("−0", code 8), −0 itself becomes +0, as the E2M1 encoder does.
    const expected = [0, 1, 2, 2, 3, 4, 5, 8, 9, 10, 10, 11, 12, 13, 0, 0];
    const outCode = (i: number) => ((out.packed[i >> 1] as number) >> ((i % 2) * 4)) & 0xf;
    for (let i = 32; i < 64; i++) expect(outCode(i), `element ${i}`).toBe(expected[i % 16]);
    expect([...out.blockScales.subarray(0, 4)]).toEqual([0x78, 0x78, 0x01, 0x01]);
    // Row 1: block 2 is all ±0 far below the range → scale 0, codes kept; block 3 is at the top.
    expect([...out.blockScales.subarray(4, 8)]).toEqual([0, 0, 0x78, 0x78]);
    expect(stats).toMatchObject({
      groups: 8,
      exactGroups: 6,
      roundedGroups: 2,
      subnormalScaleGroups: 0,
      firstRoundedGroups: [
        [0, 2],
        [0, 3],
      ],
    });

    // The error, recomputed per element from the source values.
    let sumSqError = 0;
    let sumSqRef = 0;
    let maxAbsError = 0;
    for (let i = 0; i < values.length; i++) {
      const d = Math.abs((values[i] as number) - (source[i] as number));
      sumSqError += d * d;
      maxAbsError = Math.max(maxAbsError, d);
      if (i >= 32 && i < 64) sumSqRef += (source[i] as number) ** 2;
    }
    // Codes ±1 (±0.5·2^-18) and ±3 (±1.5·2^-18) round: 0.25 and 0.75 are not E2M1 values.
    expect(differences(values, source)).toEqual([32, 34, 39, 41, 48, 50, 55, 57]);
    expect(stats.sumSqError).toBe(sumSqError);
    expect(stats.sumSqRef).toBe(sumSqRef);
    expect(stats.maxAbsError).toBe(maxAbsError);
    expect(maxAbsError).toBe(0.5 * 2 ** -18);
  });

  it("follows the rule for every code at every depth below the range", () => {
    const rng = new Prng(11);
    const t = tensor(
      40,
      128,
      () => rng.nextInt(16),
      (b) => (b % 4 === 0 ? 140 : 140 - 8 - rng.nextInt(30)),
    );
    const g = mxfp4GlobalExponent(140);
    const { out, stats, values, source } = convert(t, g);
    let rounded = 0;
    for (let group = 0; group < t.scales.length * 2; group++) {
      const e = (t.scales[group >> 1] as number) - 127;
      const k = e - g;
      const scale = out.blockScales[group] as number;
      const groupValues = source.subarray(group * 16, group * 16 + 16);
      if (k >= -9) {
        expect(E4M3_TO_FLOAT[scale]).toBe(2 ** k);
        for (let j = 0; j < 16; j++) expect(values[group * 16 + j]).toBe(groupValues[j]);
      } else if (groupValues.every((v) => v === 0)) {
        expect(scale).toBe(0);
      } else {
        rounded++;
        expect(scale).toBe(0x01);
        for (let j = 0; j < 16; j++) {
          const want = floatToE2M1((groupValues[j] as number) / 2 ** (g - 9));
          expect(values[group * 16 + j]).toBe((E2M1_TO_FLOAT[want] as number) * 2 ** (g - 9));
        }
      }
    }
    expect(stats.roundedGroups).toBe(rounded);
    expect(rounded).toBeGreaterThan(100);
  });

  it("refuses a NaN scale byte, naming the lowest one", () => {
    const t = tensor(
      2,
      64,
      () => 3,
      (b) => (b === 3 ? 0xff : 120),
    );
    expect(() => convert(t, -10)).toThrow(Mxfp4NanScaleError);
    expect(() => convert(t, -10)).toThrow(/\[1, 1\]/);
  });

  it("refuses a scale byte above the range of the global exponent it was given", () => {
    const t = tensor(
      1,
      32,
      () => 3,
      () => 130,
    );
    expect(() => convert(t, -10)).toThrow(/above 2\^8/);
  });
});
