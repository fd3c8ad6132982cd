import { describe, expect, it } from "vitest";
import {
  bf16ToFloat,
  E2M1_TO_FLOAT,
  E4M3_TO_FLOAT,
  e2m1ToFloat,
  e4m3ToFloat,
  e5m2ToFloat,
  e8m0ToFloat,
  f16ToFloat,
  floatToBf16,
  floatToE2M1,
  floatToE4M3,
  floatToE8M0,
  floatToF16,
  roundHalfToEven,
} from "../src/codecs/index.ts";

const isNanByte = (b: number) => (b & 0x7f) === 0x7f;

describe("roundHalfToEven", () => {
  it("rounds ties to even", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfToEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });
});

describe("E4M3", () => {
  it("decodes known bytes", () => {
    expect(e4m3ToFloat(0x00)).toBe(0);
    expect(e4m3ToFloat(0x80)).toBe(-0);
    expect(e4m3ToFloat(0x01)).toBe(2 ** -9);
    expect(e4m3ToFloat(0x07)).toBe(7 * 2 ** -9);
    expect(e4m3ToFloat(0x08)).toBe(2 ** -6);
    expect(e4m3ToFloat(0x38)).toBe(1);
    expect(e4m3ToFloat(0x7e)).toBe(448);
    expect(e4m3ToFloat(0xfe)).toBe(-448);
    expect(e4m3ToFloat(0x7f)).toBeNaN();
    expect(e4m3ToFloat(0xff)).toBeNaN();
  });

  it("round-trips all 256 bytes (NaN bytes encode to 0x7f)", () => {
    for (let b = 0; b < 256; b++) {
      const v = E4M3_TO_FLOAT[b] as number;
      if (isNanByte(b)) {
        expect(Number.isNaN(v)).toBe(true);
        expect(floatToE4M3(v)).toBe(0x7f);
      } else {
        expect(floatToE4M3(v)).toBe(b);
        expect(v).toBe(e4m3ToFloat(b));
      }
    }
  });

  it("rounds every midpoint between neighbours to the even byte, and just off-midpoint correctly", () => {
    for (let b = 0; b < 0x7e; b++) {
      const lo = e4m3ToFloat(b);
      const hi = e4m3ToFloat(b + 1);
      const mid = (lo + hi) / 2;
      const even = b % 2 === 0 ? b : b + 1;
      expect(floatToE4M3(mid)).toBe(even);
      expect(floatToE4M3(-mid)).toBe(even | 0x80);
      const eps = (hi - lo) / 1024;
      expect(floatToE4M3(mid - eps)).toBe(b);
      expect(floatToE4M3(mid + eps)).toBe(b + 1);
    }
  });

  it("handles subnormals and underflow", () => {
    expect(floatToE4M3(2 ** -10)).toBe(0); // tie between 0 and 2^-9 → even (0)
    expect(floatToE4M3(2 ** -10 * 1.0001)).toBe(1);
    expect(floatToE4M3(3 * 2 ** -10)).toBe(2); // tie 1.5 quanta → 2
    expect(floatToE4M3(1e-30)).toBe(0);
    expect(floatToE4M3(-1e-30)).toBe(0x80);
    expect(floatToE4M3(15 * 2 ** -10)).toBe(0x08); // 7.5 quanta → 8 = smallest normal
  });

  it("saturates to ±448 (satfinite) including infinities; NaN → 0x7f", () => {
    expect(floatToE4M3(448)).toBe(0x7e);
    expect(floatToE4M3(449)).toBe(0x7e);
    expect(floatToE4M3(464)).toBe(0x7e);
    expect(floatToE4M3(1e9)).toBe(0x7e);
    expect(floatToE4M3(Number.POSITIVE_INFINITY)).toBe(0x7e);
    expect(floatToE4M3(-1e9)).toBe(0xfe);
    expect(floatToE4M3(Number.NEGATIVE_INFINITY)).toBe(0xfe);
    expect(floatToE4M3(Number.NaN)).toBe(0x7f);
    expect(floatToE4M3(-0)).toBe(0x80);
  });

  it("matches brute-force nearest-even search on random float32 values", () => {
    const finite = [...Array(0x7f).keys()].map((b) => e4m3ToFloat(b)); // 0..448
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 20000; i++) {
      const a = Math.fround(2 ** (rand() * 22 - 12) * (1 + rand()));
      let best = 0;
      for (let b = 1; b < finite.length; b++) {
        const d = Math.abs((finite[b] as number) - a);
        const db = Math.abs((finite[best] as number) - a);
        if (d < db || (d === db && b % 2 === 0)) best = b;
      }
      expect(floatToE4M3(a)).toBe(best);
    }
  });
});

describe("E5M2", () => {
  it("decodes", () => {
    expect(e5m2ToFloat(0x3c)).toBe(1);
    expect(e5m2ToFloat(0x7b)).toBe(57344);
    expect(e5m2ToFloat(0x01)).toBe(2 ** -16);
    expect(e5m2ToFloat(0x7c)).toBe(Number.POSITIVE_INFINITY);
    expect(e5m2ToFloat(0xfc)).toBe(Number.NEGATIVE_INFINITY);
    expect(e5m2ToFloat(0x7d)).toBeNaN();
    expect(e5m2ToFloat(0xc0)).toBe(-2);
  });
});

describe("E8M0", () => {
  it("decodes 2^(b-127) and 0xff as NaN", () => {
    expect(e8m0ToFloat(127)).toBe(1);
    expect(e8m0ToFloat(0)).toBe(2 ** -127);
    expect(e8m0ToFloat(254)).toBe(2 ** 127);
    expect(e8m0ToFloat(0xff)).toBeNaN();
  });
  it("encodes powers of two exactly and rounds others like torch", () => {
    for (let b = 1; b < 255; b++) expect(floatToE8M0(e8m0ToFloat(b))).toBe(b);
    expect(floatToE8M0(1.4)).toBe(127);
    expect(floatToE8M0(1.6)).toBe(128);
    expect(floatToE8M0(1.5)).toBe(128); // tie: exponent 127 is odd → up
    expect(floatToE8M0(3)).toBe(128); // tie: exponent 128 is even → stays
    expect(floatToE8M0(Number.NaN)).toBe(0xff);
    expect(floatToE8M0(Number.POSITIVE_INFINITY)).toBe(0xff);
    expect(floatToE8M0(0)).toBe(0);
  });
});

describe("E2M1", () => {
  it("decodes the 16 codes", () => {
    expect([...E2M1_TO_FLOAT]).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6]);
    expect(e2m1ToFloat(0x1f)).toBe(-6);
  });
  it("round-trips all codes except -0, which canonicalises to +0 (ModelOpt's sign rule)", () => {
    for (let c = 0; c < 16; c++) expect(floatToE2M1(E2M1_TO_FLOAT[c] as number)).toBe(c === 8 ? 0 : c);
  });
  it("rounds the spec's ties to even codes", () => {
    const ties: Array<[number, number]> = [
      [0.25, 0],
      [0.75, 2],
      [1.25, 2],
      [1.75, 4],
      [2.5, 4],
      [3.5, 6],
      [5, 6],
    ];
    for (const [x, code] of ties) {
      expect(floatToE2M1(x)).toBe(code);
      expect(floatToE2M1(-x)).toBe(code | 8);
    }
  });
  it("rounds off-tie values to the nearest and saturates above 5", () => {
    expect(floatToE2M1(Math.fround(0.2500001))).toBe(1);
    expect(floatToE2M1(Math.fround(0.7499999))).toBe(1);
    expect(floatToE2M1(Math.fround(5.000001))).toBe(7);
    expect(floatToE2M1(100)).toBe(7);
    expect(floatToE2M1(Number.POSITIVE_INFINITY)).toBe(7);
    expect(floatToE2M1(-0.1)).toBe(8);
    expect(floatToE2M1(-0)).toBe(0);
    expect(floatToE2M1(0)).toBe(0);
    expect(floatToE2M1(Number.NaN)).toBe(7);
  });
});

describe("bfloat16", () => {
  it("round-trips every bf16 bit pattern that is not NaN", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = bf16ToFloat(h);
      if (Number.isNaN(v)) continue;
      expect(floatToBf16(v)).toBe(h);
    }
  });
  it("rounds ties to even and NaN to a quiet NaN", () => {
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even (1.0)
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(floatToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(floatToBf16(Number.NaN)).toBe(0x7fc0);
    expect(floatToBf16(3.4e38)).toBe(0x7f80);
    expect(floatToBf16(-0)).toBe(0x8000);
  });
});

describe("float16", () => {
  it("round-trips every f16 bit pattern that is not NaN", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16ToFloat(h);
      if (Number.isNaN(v)) continue;
      expect(floatToF16(v)).toBe(h);
    }
  });
  it("rounds ties, subnormals and overflow", () => {
    expect(floatToF16(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToF16(2 ** -25)).toBe(0); // tie between 0 and smallest subnormal
    expect(floatToF16(3 * 2 ** -25)).toBe(2);
    expect(floatToF16(65504)).toBe(0x7bff);
    expect(floatToF16(65519)).toBe(0x7bff);
    expect(floatToF16(65520)).toBe(0x7c00);
    expect(floatToF16(-1e6)).toBe(0xfc00);
    expect(floatToF16(Number.NaN)).toBe(0x7e00);
  });
});
