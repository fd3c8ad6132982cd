/**
 * Model dimensions of a synthetic checkpoint. One shape covers the three families (each layout
 * reads the fields it needs). Dimensions are chosen ragged on purpose: multiples of 16 (so NVFP4
 * applies) but not of 128 (so FP8 scale grids have partial edge blocks), plus one projection
 * whose input dim is not a multiple of 16 (V3/V3.2 kv_b_proj via kvLoraRank; V4 wo_b via
 * oGroups × oLoraRank).
 */
export interface SyntheticDims {
  layers: number;
  mtpLayers: number;
  vocab: number;
  hidden: number;
  heads: number;
  qLoraRank: number;
  /** HF MLA (V3/V3.2). */
  kvLoraRank: number;
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  vHeadDim: number;
  /** Dense MLP of the first `firstDenseLayers` layers (V3/V3.2). */
  intermediate: number;
  firstDenseLayers: number;
  routedExperts: number;
  sharedExperts: number;
  expertsPerToken: number;
  moeIntermediate: number;
  /** Sparse-attention indexer (V3.2, V4). */
  indexHeads: number;
  indexHeadDim: number;
  /** V4 attention. */
  headDim: number;
  oGroups: number;
  oLoraRank: number;
  hcMult: number;
  /** V4: first layers route by token hash (ffn.gate.tid2eid) instead of a bias. */
  hashLayers: number;
}

export type SyntheticProfile = "tiny" | "micro" | "bench";

/** Test fixtures: a few hundred KB, every tensor kind present. */
const TINY: SyntheticDims = {
  layers: 3,
  mtpLayers: 1,
  vocab: 512,
  hidden: 192,
  heads: 4,
  qLoraRank: 96,
  kvLoraRank: 72,
  qkNopeHeadDim: 32,
  qkRopeHeadDim: 16,
  vHeadDim: 32,
  intermediate: 400,
  firstDenseLayers: 1,
  routedExperts: 4,
  sharedExperts: 1,
  expertsPerToken: 2,
  moeIntermediate: 96,
  indexHeads: 4,
  indexHeadDim: 32,
  headDim: 64,
  oGroups: 2,
  oLoraRank: 36,
  hcMult: 2,
  hashLayers: 1,
};

/** Smallest valid tensors: for checkpoints with the real tensor count (header-scale tests). */
const MICRO: SyntheticDims = {
  ...TINY,
  vocab: 64,
  hidden: 32,
  heads: 2,
  qLoraRank: 32,
  kvLoraRank: 32,
  qkNopeHeadDim: 16,
  qkRopeHeadDim: 16,
  vHeadDim: 16,
  intermediate: 32,
  moeIntermediate: 32,
  indexHeads: 2,
  indexHeadDim: 32,
  headDim: 32,
  oLoraRank: 16,
};

/** Benchmark base: realistic tensor sizes (a few MB each); layers/experts scale to a byte target. */
const BENCH: SyntheticDims = {
  ...TINY,
  layers: 4,
  vocab: 16384,
  hidden: 2112,
  heads: 16,
  qLoraRank: 768,
  kvLoraRank: 256,
  qkNopeHeadDim: 64,
  qkRopeHeadDim: 32,
  vHeadDim: 64,
  intermediate: 5632,
  routedExperts: 16,
  expertsPerToken: 4,
  moeIntermediate: 1408,
  indexHeads: 8,
  indexHeadDim: 64,
  headDim: 256,
  oGroups: 4,
  oLoraRank: 512,
  hcMult: 4,
};

const PROFILES: Record<SyntheticProfile, SyntheticDims> = { tiny: TINY, micro: MICRO, bench: BENCH };

export function profileDims(profile: SyntheticProfile): SyntheticDims {
  return { ...PROFILES[profile] };
}

/** V4 layer kinds: layer 0 sliding-window only, then alternating C4A (with indexer) and C128A. */
export function compressRatios(layers: number): number[] {
  return Array.from({ length: layers }, (_, i) => (i === 0 ? 0 : i % 2 === 1 ? 4 : 128));
}

/**
 * Scales the bench dims to about `targetBytes`: layers first (up to 64), then routed experts.
 * `bytesOf(dims)` is the checkpoint size a set of dims produces. The floor is one layer of the
 * bench profile (about 0.5 GB): smaller checkpoints come from the "tiny" and "micro" profiles.
 */
export function dimsForTargetBytes(
  targetBytes: number,
  bytesOf: (dims: SyntheticDims) => number,
): SyntheticDims {
  const base = profileDims("bench");
  const one = bytesOf({ ...base, layers: 1 });
  const perLayer = bytesOf({ ...base, layers: 2 }) - one;
  const fixed = one - perLayer;
  const maxLayers = 64;
  const layers = Math.max(1, Math.min(maxLayers, Math.round((targetBytes - fixed) / perLayer)));
  let dims = { ...base, layers };
  if (layers === maxLayers) {
    const perExpertLayer = bytesOf({ ...dims, routedExperts: base.routedExperts + 1 }) - bytesOf(dims);
    const extra = Math.max(0, Math.round((targetBytes - bytesOf(dims)) / perExpertLayer));
    dims = { ...dims, routedExperts: base.routedExperts + extra };
  }
  return dims;
}
