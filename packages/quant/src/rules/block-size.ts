/**
 * The FP8 scaling block: scale companions are [ceil(out/rows), ceil(in/cols)]. The block is read
 * from config.json (`quantization_config.weight_block_size`) and, independently, detected from
 * the weight vs scale shapes so a wrong config is caught.
 */
export type BlockSize = [rows: number, cols: number];

/** Block sides tried when detecting: powers of two, as every FP8 recipe uses. */
const CANDIDATE_SIDES = [16, 32, 64, 128, 256, 512, 1024];
const PREFERRED: BlockSize = [128, 128];

export interface ScaledWeightShape {
  shape: readonly number[];
  scaleShape: readonly number[];
}

/** Scale grid shape a block size implies for a 2-D weight. */
export function fp8ScaleGridShape(shape: readonly number[], block: BlockSize): [number, number] {
  const [rows = 0, cols = 0] = shape;
  return [Math.ceil(rows / block[0]), Math.ceil(cols / block[1])];
}

export function blockFits(w: ScaledWeightShape, block: BlockSize): boolean {
  if (w.scaleShape.length !== 2) return false;
  const [r, c] = fp8ScaleGridShape(w.shape, block);
  return w.scaleShape[0] === r && w.scaleShape[1] === c;
}

/** A scale with a single element scales the whole tensor. */
export function isPerTensorScale(scaleShape: readonly number[]): boolean {
  return scaleShape.every((d) => d === 1);
}

/**
 * The block size that explains the most weights' scale shapes; ties prefer 128x128, then larger
 * blocks (small weights fit many). Undefined when no weight has a block (not per-tensor) scale.
 */
export function detectBlockSize(weights: Iterable<ScaledWeightShape>): BlockSize | undefined {
  const candidates: BlockSize[] = [PREFERRED];
  for (const r of CANDIDATE_SIDES)
    for (const c of CANDIDATE_SIDES) if (r !== 128 || c !== 128) candidates.push([r, c]);
  candidates.sort((a, b) => rank(a) - rank(b));
  const counts = new Array<number>(candidates.length).fill(0);
  let any = false;
  for (const w of weights) {
    if (isPerTensorScale(w.scaleShape)) continue;
    any = true;
    candidates.forEach((block, i) => {
      if (blockFits(w, block)) counts[i] = (counts[i] ?? 0) + 1;
    });
  }
  if (!any) return undefined;
  let best = 0;
  counts.forEach((n, i) => {
    if (n > (counts[best] ?? 0)) best = i;
  });
  return (counts[best] ?? 0) > 0 ? candidates[best] : undefined;
}

/** Sort key: 128x128 first, then larger areas. */
function rank(block: BlockSize): number {
  if (block[0] === PREFERRED[0] && block[1] === PREFERRED[1]) return -Infinity;
  return -(block[0] * block[1]);
}
