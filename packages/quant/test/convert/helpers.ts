/** Helpers for the converter tests: reading outputs back, digests of whole directories. */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Fp8BlockScaledTensor } from "../../src/nvfp4/types.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import type { Dtype } from "../../src/safetensors/dtypes.ts";

export interface ReadTensor {
  dtype: Dtype;
  shape: number[];
  data: Uint8Array;
}

/** Every tensor of a checkpoint, read with fp4kit's reader (the Python check uses another one). */
export async function readAllTensors(dir: string): Promise<Map<string, ReadTensor>> {
  const checkpoint = await Checkpoint.open(dir);
  const out = new Map<string, ReadTensor>();
  for (const t of checkpoint.tensors.values()) {
    const bytes = await checkpoint.readTensor(t.name);
    out.set(t.name, { dtype: t.dtype, shape: t.shape, data: new Uint8Array(bytes) });
  }
  return out;
}

/** SHA-256 of every file under `dir` (recursively, hidden ones included), by relative path. */
export async function digestDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        out[relative(dir, path)] = createHash("sha256")
          .update(await readFile(path))
          .digest("hex");
    }
  };
  await walk(dir);
  return out;
}

export function f32(t: ReadTensor): Float32Array {
  const copy = t.data.slice();
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

/** An FP8 source weight + scale as the kernels see it (128×128 blocks, or per-tensor). */
export function fp8Tensor(
  weight: ReadTensor,
  scale: Float32Array,
  scaleShape: number[],
): Fp8BlockScaledTensor {
  const [rows = 0, cols = 0] = weight.shape;
  const perTensor = scaleShape.every((d) => d === 1);
  return {
    data: weight.data,
    rows,
    cols,
    scale,
    blockRows: perTensor ? rows : 128,
    blockCols: perTensor ? cols : 128,
  };
}
