import { describe, expect, it } from "vitest";
import { E2M1_TO_FLOAT, E4M3_TO_FLOAT } from "../src/codecs/index.ts";
import {
  fp8BlockAmax,
  InvalidGlobalScaleError,
  InvalidTensorShapeError,
  NonFiniteValueError,
  nvfp4GlobalScale,
  quantizeNvfp4,
  relativeRmsError,
} from "../src/nvfp4/index.ts";
import { fma32 } from "../src/nvfp4/reference.ts";
import {
  adversarialCases,
  GOLDEN,
  gaussianFp8Tensor,
  goldenTensor,
  nonFiniteCases,
  randomTensor,
} from "./nvfp4-cases.ts";

describe("NVFP4 reference: hand-computed golden example", () => {
  it("has amax 10.5 and global scale exactly 2^-8", () => {
    const t = goldenTensor();
    expect(fp8BlockAmax(t)).toBe(GOLDEN.amax);
    expect(nvfp4GlobalScale(GOLDEN.amax)).toBe(GOLDEN.globalScale);
  });

  it("produces the hand-computed packed bytes and block scales", () => {
    const r = quantizeNvfp4(goldenTensor(), GOLDEN.globalScale);
    expect([...r.blockScales]).toEqual(GOLDEN.blockScales);
    expect([...r.packed].map((b) => b.toString(16))).toEqual(GOLDEN.packed.map((b) => b.toString(16)));
    expect(r.stats.count).toBe(32);
  });

  it("error stats equal a direct float64 computation on the golden row", () => {
    const t = goldenTensor();
    const r = quantizeNvfp4(t, GOLDEN.globalScale);
    let maxErr = 0;
    for (let c = 0; c < 32; c++) {
      const v = Math.fround((E4M3_TO_FLOAT[t.data[c] as number] as number) * (t.scale[c >> 4] as number));
      const code = ((r.packed[c >> 1] as number) >> ((c & 1) * 4)) & 0xf;
      const scale = E4M3_TO_FLOAT[r.blockScales[c >> 4] as number] as number;
      const deq = (E2M1_TO_FLOAT[code] as number) * scale * GOLDEN.globalScale; // exact here
      maxErr = Math.max(maxErr, Math.abs(deq - v));
    }
    expect(r.stats.maxAbsError).toBe(maxErr);
    expect(r.stats.sumSqError).toBeGreaterThan(0);
  });
});

describe("NVFP4 reference: semantics", () => {
  it("round-trips with relative RMS error ≈ 0.09–0.10 on Gaussian weights (spec sanity check)", () => {
    const t = gaussianFp8Tensor(42, 128, 1024);
    const r = quantizeNvfp4(t, nvfp4GlobalScale(fp8BlockAmax(t)));
    const rel = relativeRmsError(r.stats);
    expect(rel).toBeGreaterThan(0.07);
    expect(rel).toBeLessThan(0.12);
  });

  it("puts the largest group's scale at 448 and codes never exceed ±6", () => {
    const t = randomTensor(3, 64, 256);
    const r = quantizeNvfp4(t, nvfp4GlobalScale(fp8BlockAmax(t)));
    expect(Math.max(...r.blockScales.map((b) => b & 0x7f))).toBeGreaterThanOrEqual(0x7d);
    expect(r.blockScales.every((b) => b !== 0x7f && b !== 0xff && b < 0x80)).toBe(true);
  });

  it("maps all-zero groups to scale 0 and code 0, and amax 0 to gs 1", () => {
    const t = randomTensor(4, 8, 64);
    t.data.fill(0);
    t.data.fill(0x80, 0, 16); // -0
    expect(fp8BlockAmax(t)).toBe(0);
    const gs = nvfp4GlobalScale(0);
    expect(gs).toBe(1);
    const r = quantizeNvfp4(t, gs);
    expect(r.packed.every((b) => b === 0)).toBe(true);
    expect(r.blockScales.every((b) => b === 0)).toBe(true);
    expect(r.stats).toEqual({ sumSqError: 0, sumSqRef: 0, maxAbsError: 0, count: 512 });
  });

  it("keeps gs a normal float32 for tiny amax", () => {
    expect(nvfp4GlobalScale(Math.fround(1e-40))).toBe(2 ** -126);
    expect(nvfp4GlobalScale(Math.fround(448))).toBe(Math.fround(448 / 2688));
    expect(() => nvfp4GlobalScale(Number.NaN)).toThrow(RangeError);
    expect(() => nvfp4GlobalScale(-1)).toThrow(RangeError);
  });

  it("accepts caller-owned output buffers", () => {
    const t = randomTensor(5, 16, 64);
    const packed = new Uint8Array(512);
    const blockScales = new Uint8Array(64);
    const r = quantizeNvfp4(t, nvfp4GlobalScale(fp8BlockAmax(t)), { packed, blockScales });
    expect(r.packed).toBe(packed);
    expect(r.blockScales).toBe(blockScales);
    expect(() => quantizeNvfp4(t, 1, { packed: new Uint8Array(3) })).toThrow(InvalidTensorShapeError);
  });

  it("throws typed errors for bad shapes and global scales", () => {
    const t = randomTensor(6, 4, 24, 128, 128);
    expect(() => quantizeNvfp4(t, 1)).toThrow(InvalidTensorShapeError); // 24 % 16 != 0
    expect(fp8BlockAmax(t)).toBeGreaterThan(0); // amax does not need whole groups
    const u = randomTensor(7, 4, 32);
    expect(() => quantizeNvfp4(u, 0)).toThrow(InvalidGlobalScaleError);
    expect(() => quantizeNvfp4(u, 0.1)).toThrow(InvalidGlobalScaleError); // not a float32
    expect(() => quantizeNvfp4(u, Number.POSITIVE_INFINITY)).toThrow(InvalidGlobalScaleError);
    expect(() => fp8BlockAmax({ ...u, scale: new Float32Array(2) })).toThrow(InvalidTensorShapeError);
  });

  it("reports NaN/Inf with kind and the lowest index, and accepts the tensor name later", () => {
    for (const c of nonFiniteCases()) {
      for (const run of [() => fp8BlockAmax(c.tensor), () => quantizeNvfp4(c.tensor, 1)]) {
        try {
          run();
          expect.unreachable(`${c.name} should throw`);
        } catch (e) {
          expect(e).toBeInstanceOf(NonFiniteValueError);
          const err = e as NonFiniteValueError;
          expect([err.kind, err.index, err.code]).toEqual([c.kind, c.index, "NON_FINITE_VALUE"]);
          expect(err.withTensorName("layers.3.ffn.experts.7.w1.weight").message).toContain(
            "layers.3.ffn.experts.7.w1",
          );
        }
      }
    }
  });

  it("runs every adversarial case", () => {
    for (const { name, tensor } of adversarialCases()) {
      const gs = nvfp4GlobalScale(fp8BlockAmax(tensor));
      const r = quantizeNvfp4(tensor, gs);
      expect(r.packed.length, name).toBe((tensor.rows * tensor.cols) / 2);
      expect(Number.isFinite(r.stats.sumSqError), name).toBe(true);
    }
  });
});

/** float32 x as N·2^e exactly. */
function float32Parts(x: number): [bigint, number] {
  const bits = new Uint32Array(Float32Array.of(x).buffer)[0] as number;
  const exp = (bits >>> 23) & 0xff;
  const mant = BigInt(exp === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000);
  const sign = bits >>> 31 ? -1n : 1n;
  return [sign * mant, exp === 0 ? -149 : exp - 150];
}

/** N·2^e rounded once to float32, ties to even (the definition of a fused multiply-add's result). */
function roundToFloat32(n: bigint, e: number): number {
  if (n === 0n) return 0;
  const neg = n < 0n;
  const m = neg ? -n : n;
  const k = Math.max(e + m.toString(2).length - 24, -149);
  let q: bigint;
  if (k <= e) {
    q = m << BigInt(e - k);
  } else {
    const sh = BigInt(k - e);
    q = m >> sh;
    const rem = m - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const v = Math.fround(Number(q) * 2 ** k);
  return neg ? -v : v;
}

function exactFma32(a: number, b: number, c: number): number {
  const [na, ea] = float32Parts(a);
  const [nb, eb] = float32Parts(b);
  const [nc, ec] = float32Parts(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  return roundToFloat32(((na * nb) << BigInt(ep - e)) + (nc << BigInt(ec - e)), e);
}

describe("fma32 (the float32 fused multiply-add of the error statistics)", () => {
  it("rounds a·b + c once, like the hardware, on random, cancelling, tie and subnormal cases", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const f32 = (exp: number) => Math.fround((rand() * 2 - 1) * 2 ** exp);
    const cases: [number, number, number][] = [];
    for (let i = 0; i < 3000; i++) {
      const a = f32(Math.floor(rand() * 60) - 30);
      const b = f32(Math.floor(rand() * 60) - 30);
      const kind = i % 4;
      // Independent c; c ≈ -a·b (cancellation); a·b a float32 midpoint plus a tiny c (the double
      // rounding case); results in the subnormal range.
      const c =
        kind === 0
          ? f32(Math.floor(rand() * 60) - 30)
          : kind === 1
            ? Math.fround(-a * b)
            : kind === 2
              ? Math.fround((rand() < 0.5 ? -1 : 1) * 2 ** -80)
              : f32(-135);
      cases.push(kind === 3 ? [Math.fround(a * 2 ** -70), Math.fround(b * 2 ** -60), c] : [a, b, c]);
    }
    // a·b = 1 + 2^-24 exactly (a float32 midpoint): the sign of c decides.
    const a = Math.fround(1 + 2 ** -12);
    cases.push([a, a, Math.fround(2 ** -60)], [a, a, Math.fround(-(2 ** -60))], [a, a, 0]);
    for (const [x, y, z] of cases) expect(fma32(x, y, z)).toBe(exactFma32(x, y, z));
  });
});
