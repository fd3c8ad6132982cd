/**
 * FP8 block-scaled test tensors shared by the vitest suites and the GPU check
 * (scripts/gpu-check.ts): random data plus adversarial cases (ties, zeros, extremes, subnormals,
 * ragged and odd scale blocks, E8M0 scales). Deterministic: same seed, same bytes.
 */
import { e8m0ToFloat, floatToE4M3 } from "../src/codecs/index.ts";
import type { Fp8BlockScaledTensor } from "../src/nvfp4/types.ts";

export interface NamedTensor {
  name: string;
  tensor: Fp8BlockScaledTensor;
}

/** mulberry32: tiny deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function scaleLength(rows: number, cols: number, br: number, bc: number): number {
  return Math.ceil(rows / br) * Math.ceil(cols / bc);
}

/** Random finite E4M3 bytes (never 0x7f/0xff) and random positive scales. */
export function randomTensor(
  seed: number,
  rows: number,
  cols: number,
  blockRows = 128,
  blockCols = 128,
  scaleOf: (rand: () => number) => number = (rand) => Math.fround(2 ** (rand() * 16 - 12)),
): Fp8BlockScaledTensor {
  const rand = rng(seed);
  const data = new Uint8Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    let b = Math.floor(rand() * 256);
    if ((b & 0x7f) === 0x7f) b ^= 0x01;
    data[i] = b;
  }
  const scale = new Float32Array(scaleLength(rows, cols, blockRows, blockCols));
  for (let i = 0; i < scale.length; i++) scale[i] = scaleOf(rand);
  return { data, rows, cols, scale, blockRows, blockCols };
}

/** Gaussian weights quantized to FP8 with per-block scales, like a real FP8 checkpoint. */
export function gaussianFp8Tensor(
  seed: number,
  rows: number,
  cols: number,
  block = 128,
  powerOfTwoScales = false,
): Fp8BlockScaledTensor {
  const rand = rng(seed);
  const scale = new Float32Array(scaleLength(rows, cols, block, block));
  for (let i = 0; i < scale.length; i++) {
    const s = ((0.02 * (0.5 + rand())) / 448) * 4;
    // DeepSeek-V4's own layout stores E8M0 scales: powers of two.
    scale[i] = powerOfTwoScales ? 2 ** Math.round(Math.log2(s)) : Math.fround(s);
  }
  const sc = Math.ceil(cols / block);
  const data = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scale[Math.floor(r / block) * sc + Math.floor(c / block)] as number;
      data[r * cols + c] = floatToE4M3((0.02 * gaussian(rand)) / s);
    }
  }
  return { data, rows, cols, scale, blockRows: block, blockCols: block };
}

/**
 * The hand-computed golden row (docs/nvfp4-math.md, "Golden example"): 1×32, 16-column scale
 * blocks [1.3125, 0.5]. gs = 10.5/2688 = 2^-8 exactly; group 0 has scale 448 (0x7e), denom 1.75,
 * q = 0.75·b; group 1 has scale 256 (0x78), denom 1, q = b/2 — hitting every E2M1 tie.
 */
export const GOLDEN = {
  data: [
    0x50, 0xc8, 0x40, 0x38, 0x30, 0x28, 0x44, 0xa8, 0x00, 0x80, 0x4c, 0x4e, 0x01, 0xbc, 0x49, 0xd0, 0x30,
    0x42, 0x46, 0x4a, 0x4e, 0x52, 0x54, 0xd4, 0x3c, 0xb0, 0x4c, 0xce, 0x51, 0x53, 0x38, 0x00,
  ],
  scale: [1.3125, 0.5],
  amax: 10.5,
  globalScale: 2 ** -8,
  packed: [0xd7, 0x23, 0x01, 0x84, 0x00, 0x76, 0xa0, 0xf5, 0x20, 0x44, 0x66, 0xf7, 0x82, 0xe5, 0x76, 0x01],
  blockScales: [0x7e, 0x78],
};

export function goldenTensor(): Fp8BlockScaledTensor {
  return {
    data: Uint8Array.from(GOLDEN.data),
    rows: 1,
    cols: 32,
    scale: Float32Array.from(GOLDEN.scale),
    blockRows: 1,
    blockCols: 16,
  };
}

/**
 * Rows built from the golden groups with signs flipped and elements permuted inside each group
 * (group amax unchanged, so every row still has gs = 2^-8 and all the E2M1 ties), plus groups
 * whose scale ratio is an exact E4M3 midpoint (6·1.3125/(6·2^-8) = 336, between 320 and 352).
 */
export function tieTensor(seed: number, rows: number, groupsPerRow: number): Fp8BlockScaledTensor {
  const rand = rng(seed);
  const cols = groupsPerRow * 16;
  const data = new Uint8Array(rows * cols);
  const scale = new Float32Array(rows * groupsPerRow);
  const midpointGroup = [
    0x4c, 0x38, 0x30, 0x44, 0x3c, 0x28, 0x40, 0x01, 0x48, 0x4a, 0x46, 0x42, 0x00, 0x80, 0x49, 0x4b,
  ];
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groupsPerRow; g++) {
      const kind = g === 0 ? 0 : Math.floor(rand() * 3);
      const src = kind === 2 ? midpointGroup : GOLDEN.data.slice(kind * 16, kind * 16 + 16);
      const perm = [...src.keys()].sort(() => rand() - 0.5);
      for (let j = 0; j < 16; j++) {
        const b = src[perm[j] as number] as number;
        data[r * cols + g * 16 + j] = rand() < 0.5 ? b ^ 0x80 : b;
      }
      scale[r * groupsPerRow + g] = kind === 1 ? 0.5 : 1.3125;
    }
  }
  return { data, rows, cols, scale, blockRows: 1, blockCols: 16 };
}

/** Every adversarial case; all are finite (see nonFiniteCases for NaN/Inf). */
export function adversarialCases(): NamedTensor[] {
  const cases: NamedTensor[] = [];
  const add = (name: string, tensor: Fp8BlockScaledTensor) => cases.push({ name, tensor });

  add("golden 1x32", goldenTensor());
  add("random 256x512 (128-blocks)", randomTensor(1, 256, 512));
  add("ragged 300x400 (128-blocks)", randomTensor(2, 300, 400));
  add("ragged 130x48 (block wider than tensor)", randomTensor(3, 130, 48));
  add("odd scale blocks 7x24 (groups straddle scale blocks)", randomTensor(4, 61, 96, 7, 24));
  add("per-tensor scale", randomTensor(5, 33, 160, 33, 160));
  add("single wide row 1x4096 (8 stats chunks)", randomTensor(6, 1, 4096));
  add("45 groups per row (partial stats chunk)", randomTensor(7, 70, 720));
  add("ties", tieTensor(8, 64, 40));
  add("gaussian weights 256x1024", gaussianFp8Tensor(9, 256, 1024));
  // Power-of-two (E8M0) scales make exact E2M1 midpoints common: the fast path's redo and compare modes.
  add("gaussian weights, E8M0 scales 256x1024", gaussianFp8Tensor(43, 256, 1024, 128, true));

  const zeros = randomTensor(10, 64, 256);
  zeros.data.fill(0);
  add("all zero (amax 0 → gs 1)", zeros);

  const sparse = randomTensor(11, 96, 256);
  const sr = rng(111);
  for (let r = 0; r < sparse.rows; r++) {
    if (r % 5 === 0) sparse.data.fill(r % 10 === 0 ? 0x00 : 0x80, r * 256, (r + 1) * 256); // zero rows, ±0
    for (let g = 0; g < 16; g++) if (sr() < 0.3) sparse.data.fill(0, r * 256 + g * 16, r * 256 + g * 16 + 16);
  }
  add("zero rows and zero groups", sparse);

  const maxed = randomTensor(12, 64, 256, 128, 128, () => 7.5e35);
  for (let i = 0; i < maxed.data.length; i += 3) maxed.data[i] = i % 2 ? 0xfe : 0x7e;
  add("448 × huge scale (near float32 max)", maxed);

  const subnormal = randomTensor(13, 64, 256);
  const sub = rng(113);
  for (let i = 0; i < subnormal.data.length; i++) {
    if (sub() < 0.7) subnormal.data[i] = (Math.floor(sub() * 8) & 7) | (sub() < 0.5 ? 0x80 : 0);
  }
  add("subnormal E4M3 bytes", subnormal);

  add(
    "tiny scales (subnormal float32 products, gs clamped to 2^-126)",
    randomTensor(14, 64, 256, 128, 128, (rand) => Math.fround(1e-41 * (1 + rand()))),
  );
  add(
    "tiny scales 1e-30",
    randomTensor(15, 64, 256, 128, 128, (rand) => Math.fround(1e-30 * (1 + rand()))),
  );
  add(
    "huge scales 1e30",
    randomTensor(16, 64, 256, 128, 128, (rand) => Math.fround(1e30 * (1 + rand()))),
  );
  add(
    "E8M0-derived scales",
    randomTensor(17, 200, 384, 128, 128, (rand) => e8m0ToFloat(100 + Math.floor(rand() * 40))),
  );
  // One outlier: most groups' scales underflow E4M3 (scale byte 0 with non-zero values).
  const outlier = randomTensor(18, 64, 256, 128, 128, () => 1e-3);
  outlier.scale[0] = 1e5;
  add("outlier block (scale bytes underflow to 0)", outlier);
  add("empty 0x64", {
    data: new Uint8Array(0),
    rows: 0,
    cols: 64,
    scale: new Float32Array(0),
    blockRows: 128,
    blockCols: 128,
  });
  return cases;
}

export interface NonFiniteCase extends NamedTensor {
  kind: "nan" | "inf";
  /** Lowest offending row-major index. */
  index: number;
}

export function nonFiniteCases(): NonFiniteCase[] {
  const nan = randomTensor(20, 300, 256);
  nan.data[250 * 256 + 17] = 0x7f;
  nan.data[123 * 256 + 200] = 0xff; // lowest
  nan.data[299 * 256 + 5] = 0x7f;
  const inf = randomTensor(21, 64, 256, 32, 32, () => 1);
  inf.scale[9] = 1e37; // block (1, 1): rows 32..63, cols 32..63 → 448·1e37 = Inf for big bytes
  for (let i = 0; i < inf.data.length; i++) inf.data[i] = 0x30; // 0.5 · 1e37 stays finite
  inf.data[40 * 256 + 50] = 0x7e;
  inf.data[33 * 256 + 60] = 0xfe; // lowest: -448e37 = -Inf
  const nanScale = randomTensor(22, 64, 256);
  nanScale.scale[1] = Number.NaN; // block (0, 1) → first element [0, 128]
  return [
    { name: "NaN bytes", tensor: nan, kind: "nan", index: 123 * 256 + 200 },
    { name: "Inf from scale overflow", tensor: inf, kind: "inf", index: 33 * 256 + 60 },
    { name: "NaN scale", tensor: nanScale, kind: "nan", index: 128 },
  ];
}

export interface ScaledCase extends NamedTensor {
  /** The global scale to quantize with (not derived from amax: quantize takes any valid gs). */
  globalScale: number;
}

/**
 * Every FP8 byte against the code boundaries: the kernels pick E2M1 codes by comparing |v| with
 * cuts precomputed per scale byte instead of dividing (docs/nvfp4-math.md, "Codes without
 * division"), so these cases put values on, just below and just above each boundary and check the
 * result against the reference's true division.
 * - "all bytes": each row holds all 254 finite bytes (and ±448 twice) in a random order, with a
 *   random scale per 16-element group (1×16 scale blocks), over 2^-30..2^30, under global scales
 *   from far below to far above amax/2688 (saturating, underflowing and subnormal scale bytes).
 * - "ulp": the golden groups (every E2M1 tie) with block scales moved by -3..+3 ulp, so |v|/d
 *   lands exactly on, and 1–3 ulp either side of, each tie.
 * - "straddling": groups across two 8-column scale blocks whose scales are ~2^160 apart, so the
 *   small half's |v|/d lies around 2^-150, where fl(|v|/d) becomes 0 and a negative value loses
 *   its sign bit (exactly on that boundary too).
 */
export function codeSelectionCases(): ScaledCase[] {
  const cases: ScaledCase[] = [];
  const rand = rng(4242);
  const rows = 48;
  const cols = 256;
  const finite = [...Array(256).keys()].map((b) => ((b & 0x7f) === 0x7f ? b ^ 0x01 : b));
  const data = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const perm = finite.map((b) => [rand(), b] as const).sort((a, b) => a[0] - b[0]);
    for (let c = 0; c < cols; c++) data[r * cols + c] = (perm[c] as readonly [number, number])[1];
  }
  const scale = new Float32Array(rows * (cols / 16));
  for (let i = 0; i < scale.length; i++) {
    scale[i] = Math.fround(2 ** Math.floor(rand() * 60 - 30) * (1 + rand()) * (rand() < 0.1 ? -1 : 1));
  }
  const allBytes = { data, rows, cols, scale, blockRows: 1, blockCols: 16 };
  let amax = 0;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / 16; g++)
      amax = Math.max(amax, Math.abs(Math.fround(448 * (scale[r * 16 + g] as number))));
  }
  for (const shift of [-40, -12, -6, -2, 0, 1, 3, 8, 20, 40]) {
    const gs = Math.max(Math.fround((amax / 2688) * 2 ** shift), 2 ** -126);
    cases.push({ name: `all bytes, gs = amax/2688·2^${shift}`, tensor: allBytes, globalScale: gs });
  }
  // Tiny global scale (2^-126) with tiny block scales: subnormal products and subnormal d, and
  // (2^-115) products of small bytes that round to ±0.
  for (const shift of [100, 115]) {
    const tiny = { ...allBytes, scale: allBytes.scale.map((s) => Math.fround(s * 2 ** -shift)) };
    cases.push({ name: `all bytes, scales ·2^-${shift}, gs = 2^-126`, tensor: tiny, globalScale: 2 ** -126 });
  }

  const golden = GOLDEN.data;
  const ulpRows = 7 * 2;
  const ulpData = new Uint8Array(ulpRows * 32);
  const ulpScale = new Float32Array(ulpRows * 2);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const nudge = (x: number, ulps: number) => {
    f32[0] = x;
    u32[0] = (u32[0] as number) + ulps;
    return f32[0] as number;
  };
  for (let k = -3; k <= 3; k++) {
    for (const flip of [0, 0x80]) {
      const r = (k + 3) * 2 + (flip ? 1 : 0);
      // Sign flips keep each group's amax, and a few ulp keep its scale byte: d stays that of
      // the golden row while every |v|/d moves by the same few ulp around its tie.
      for (let c = 0; c < 32; c++) ulpData[r * 32 + c] = (golden[c] as number) ^ flip;
      ulpScale[r * 2] = nudge(1.3125, k);
      ulpScale[r * 2 + 1] = nudge(0.5, k);
    }
  }
  const stRows = 64;
  const stCols = 128;
  const stData = new Uint8Array(stRows * stCols);
  const stScale = new Float32Array(stRows * (stCols / 8));
  for (let r = 0; r < stRows; r++) {
    for (let b = 0; b < stCols / 8; b++) {
      const small = b % 2 === 1;
      for (let c = 0; c < 8; c++) {
        const mag = small ? 0x60 + Math.floor(rand() * 0x1f) : Math.floor(rand() * 0x7f);
        stData[r * stCols + b * 8 + c] = (c === 0 && !small ? 0x7e : mag) | (rand() < 0.5 ? 0x80 : 0);
      }
      stScale[r * (stCols / 8) + b] = small ? Math.fround(2 ** -149 * (1 + (r % 16) / 16)) : 1024;
    }
  }
  const straddling = { data: stData, rows: stRows, cols: stCols, scale: stScale, blockRows: 1, blockCols: 8 };
  for (const gs of [1, 0.5, 0.375]) {
    cases.push({
      name: `straddling scale blocks 2^160 apart, gs ${gs}`,
      tensor: straddling,
      globalScale: gs,
    });
  }
  cases.push({
    name: "golden ties with scales ±3 ulp",
    tensor: { data: ulpData, rows: ulpRows, cols: 32, scale: ulpScale, blockRows: 1, blockCols: 16 },
    globalScale: 2 ** -8,
  });
  return cases;
}
