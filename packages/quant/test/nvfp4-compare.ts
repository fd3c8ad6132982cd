/**
 * Compares an Nvfp4Kernel against the TypeScript reference byte for byte (packed codes, block
 * scales, amax, global scale and the error stats). Shared by the vitest suites and the GPU check.
 */

import { NonFiniteValueError } from "../src/nvfp4/errors.ts";
import type { Nvfp4Kernel } from "../src/nvfp4/kernel.ts";
import { fp8BlockAmax, nvfp4GlobalScale, quantizeNvfp4 } from "../src/nvfp4/reference.ts";
import type { NamedTensor, NonFiniteCase } from "./nvfp4-cases.ts";

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * Returns a list of mismatch descriptions (empty when identical). The global scale is the one
 * derived from amax unless the case names its own (`globalScale`).
 */
export async function compareWithReference(
  kernel: Nvfp4Kernel,
  c: NamedTensor & { globalScale?: number },
  useAsync = false,
): Promise<string[]> {
  const problems: string[] = [];
  const t = c.tensor;
  const refAmax = fp8BlockAmax(t);
  const amax = useAsync ? await kernel.amaxAsync(t) : kernel.amax(t);
  if (!Object.is(amax, refAmax)) problems.push(`amax ${amax} != reference ${refAmax}`);
  const gs = c.globalScale ?? nvfp4GlobalScale(refAmax);
  const ref = quantizeNvfp4(t, gs);
  const got = useAsync ? await kernel.quantizeAsync(t, gs) : kernel.quantize(t, gs);
  const dp = firstDifference(ref.packed, got.packed);
  if (dp >= 0)
    problems.push(`packed differs at byte ${dp}: ${got.packed[dp]} != reference ${ref.packed[dp]}`);
  const ds = firstDifference(ref.blockScales, got.blockScales);
  if (ds >= 0)
    problems.push(`blockScales differ at ${ds}: ${got.blockScales[ds]} != reference ${ref.blockScales[ds]}`);
  for (const k of ["sumSqError", "sumSqRef", "maxAbsError", "count"] as const) {
    if (!Object.is(ref.stats[k], got.stats[k]))
      problems.push(`stats.${k} ${got.stats[k]} != reference ${ref.stats[k]}`);
  }
  return problems.map((p) => `${kernel.description} / ${c.name}: ${p}`);
}

export async function compareNonFinite(kernel: Nvfp4Kernel, c: NonFiniteCase): Promise<string[]> {
  const problems: string[] = [];
  const runs: Array<[string, () => Promise<unknown>]> = [
    ["amax", async () => kernel.amax(c.tensor)],
    ["quantize", async () => kernel.quantize(c.tensor, 1)],
    ["amaxAsync", () => kernel.amaxAsync(c.tensor)],
    ["quantizeAsync", () => kernel.quantizeAsync(c.tensor, 1)],
  ];
  for (const [what, run] of runs) {
    try {
      await run();
      problems.push(`${what} did not throw`);
    } catch (e) {
      if (!(e instanceof NonFiniteValueError)) problems.push(`${what} threw ${(e as Error).message}`);
      else if (e.kind !== c.kind || e.index !== c.index) {
        problems.push(`${what} reported ${e.kind}@${e.index}, expected ${c.kind}@${c.index}`);
      }
    }
  }
  return problems.map((p) => `${kernel.description} / ${c.name}: ${p}`);
}
