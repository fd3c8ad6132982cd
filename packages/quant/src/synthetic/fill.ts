/**
 * Streams the bytes of a synthetic tensor into a reused buffer. Every tensor gets its own PRNG
 * seeded from (seed, name), so its bytes do not depend on shard layout or tensor order.
 *
 * Large tensors (FP8 / MXFP4 / BF16 weights) copy pseudo-randomly chosen runs from a 1 MiB pool of
 * pre-encoded values instead of encoding every element: the value distribution is the same and
 * generation runs at memory-copy speed, so multi-GB benchmark checkpoints are disk-bound.
 */
import { floatToBf16, floatToE2M1, floatToE4M3, floatToE8M0 } from "../codecs/index.ts";
import { type Dtype, tensorByteLength } from "../safetensors/dtypes.ts";
import { Prng, seedFor } from "./prng.ts";
import type { Fill, TensorSpec } from "./specs.ts";

const POOL_BYTES = 1 << 20;
const RUN_BYTES = 4096;
/** |x| reaches about 4.2σ in a 128×128 block: map that to the E4M3 maximum. */
const FP8_SIGMA_CODES = 448 / 4.2;
/** Same for a 32-element MXFP4 block (about 2.7σ) against the E2M1 maximum 6. */
const FP4_SIGMA = 6 / 2.7;
/** How much smaller (as a power of two) the block scales of a faint MXFP4 row are. */
const FAINT_EXPONENTS = 18;

export type ChunkSink = (chunk: Uint8Array) => Promise<void>;

/**
 * Writes the tensor's bytes through `sink` in chunks of at most `buffer.length` bytes, all views
 * of `buffer` (the sink must finish with a chunk before its promise resolves).
 */
export async function streamTensor(
  spec: TensorSpec,
  seed: number,
  buffer: Uint8Array,
  sink: ChunkSink,
): Promise<void> {
  const total = tensorByteLength(spec.dtype, spec.shape) ?? 0;
  const produce = producer(spec, new Prng(seedFor(seed, spec.name)));
  // Keep chunks a multiple of 8 so multi-byte elements never straddle two chunks.
  const step = Math.max(8, buffer.length - (buffer.length % 8));
  for (let offset = 0; offset < total; offset += step) {
    const chunk = buffer.subarray(0, Math.min(step, total - offset));
    produce(chunk, offset);
    await sink(chunk);
  }
}

/** Fills `target` with the bytes at [offset, offset + target.length) of the tensor. */
type Producer = (target: Uint8Array, offset: number) => void;

function producer(spec: TensorSpec, rng: Prng): Producer {
  const fill: Fill = spec.fill;
  switch (fill.kind) {
    case "fp8":
      return pooled(
        pool("fp8", () => fp8Pool()),
        1,
        rng,
      );
    case "mxfp4":
      return pooled(
        pool("mxfp4", () => mxfp4Pool()),
        1,
        rng,
      );
    case "gaussian":
      if (spec.dtype === "BF16")
        return pooled(
          pool(`bf16:${fill.std}`, () => bf16Pool(fill.std)),
          2,
          rng,
        );
      return perElement(spec.dtype, () => fill.std * rng.nextGaussian());
    case "around-one":
      return perElement(spec.dtype, () => 1 + 0.05 * rng.nextGaussian());
    case "fp8-block-scale":
      // real = code × scale and codes spread with σ = FP8_SIGMA_CODES; blocks vary by ~±20%.
      return perElement(spec.dtype, () => (fill.std * 2 ** (0.25 * rng.nextGaussian())) / FP8_SIGMA_CODES);
    case "mxfp4-scale": {
      const faintBytes = fill.faintRows * (spec.shape[1] ?? 0);
      const scale = perElement(spec.dtype, () => (fill.std * 2 ** (0.25 * rng.nextGaussian())) / FP4_SIGMA);
      return (target, offset) => {
        scale(target, offset);
        // E8M0 bytes are exponents: 18 less is 2^-18 times the scale.
        for (let i = 0; i < target.length && offset + i < faintBytes; i++)
          target[i] = Math.max((target[i] as number) - FAINT_EXPONENTS, 0);
      };
    }
    case "expert-ids":
      return perElement(spec.dtype, () => rng.nextInt(fill.experts));
  }
}

/** Copies runs starting at random element-aligned pool offsets. */
function pooled(source: Uint8Array, elementBytes: number, rng: Prng): Producer {
  const starts = (source.length - RUN_BYTES) / elementBytes;
  return (target) => {
    for (let p = 0; p < target.length; p += RUN_BYTES) {
      const length = Math.min(RUN_BYTES, target.length - p);
      const start = rng.nextInt(starts) * elementBytes;
      target.set(source.subarray(start, start + length), p);
    }
  };
}

/** Encodes one generated value per element; for the small tensors (norms, scales, mHC, ids). */
function perElement(dtype: Dtype, next: () => number): Producer {
  const write = elementWriter(dtype);
  const size = tensorByteLength(dtype, [1]) ?? 1;
  return (target) => {
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    for (let at = 0; at < target.length; at += size) write(view, at, next());
  };
}

function elementWriter(dtype: Dtype): (view: DataView, at: number, value: number) => void {
  switch (dtype) {
    case "F32":
      return (v, at, x) => v.setFloat32(at, x, true);
    case "BF16":
      return (v, at, x) => v.setUint16(at, floatToBf16(x), true);
    case "I32":
      return (v, at, x) => v.setInt32(at, x, true);
    case "F8_E8M0":
      return (v, at, x) => v.setUint8(at, floatToE8M0(x));
    default:
      throw new Error(`synthetic fill: no element writer for ${dtype}`);
  }
}

const pools = new Map<string, Uint8Array>();

function pool(key: string, build: () => Uint8Array): Uint8Array {
  let p = pools.get(key);
  if (p === undefined) {
    p = build();
    pools.set(key, p);
  }
  return p;
}

/** Pools use their own fixed seed: their content is part of the generator, not of the user seed. */
const POOL_SEED = 0x5eed_f9a4;

function fp8Pool(): Uint8Array {
  const rng = new Prng(POOL_SEED);
  const out = new Uint8Array(POOL_BYTES);
  for (let i = 0; i < out.length; i++) out[i] = floatToE4M3(FP8_SIGMA_CODES * rng.nextGaussian());
  return out;
}

function mxfp4Pool(): Uint8Array {
  const rng = new Prng(POOL_SEED + 1);
  const out = new Uint8Array(POOL_BYTES);
  for (let i = 0; i < out.length; i++) {
    const low = floatToE2M1(FP4_SIGMA * rng.nextGaussian());
    const high = floatToE2M1(FP4_SIGMA * rng.nextGaussian());
    out[i] = low | (high << 4);
  }
  return out;
}

function bf16Pool(std: number): Uint8Array {
  const rng = new Prng(POOL_SEED + 2);
  const out = new Uint8Array(POOL_BYTES);
  const view = new DataView(out.buffer);
  for (let at = 0; at < out.length; at += 2) view.setUint16(at, floatToBf16(std * rng.nextGaussian()), true);
  return out;
}
