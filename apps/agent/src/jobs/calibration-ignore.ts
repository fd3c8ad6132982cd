import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CalibrateOptions } from "@fp4kit/protocol";
import { Checkpoint, planCheckpoint } from "@fp4kit/quant";

/**
 * Path B keeps unquantized exactly the Linears Path A keeps: the modules of every 2-D `.weight`
 * that @fp4kit/quant's plan of the checkpoint does not quantize (lm_head, router gates, kept
 * attention, indexer, mHC, plus the user's ignore patterns). Written as a JSON array of module
 * names for quantize_llmcompressor.py --ignore-file (too long for a command line on real models).
 */
export async function writeCalibrationIgnoreFile(
  source: string,
  options: CalibrateOptions,
  dir: string,
): Promise<{ path: string; modules: number }> {
  const checkpoint = await Checkpoint.open(source);
  const plan = planCheckpoint(checkpoint, { ignore: options.ignore });
  const modules = plan.tensors
    .filter((t) => t.action !== "quantize" && t.name.endsWith(".weight") && t.shape.length === 2)
    .map((t) => t.name.slice(0, -".weight".length));
  const path = join(dir, "calibration-ignore.json");
  await writeFile(path, JSON.stringify(modules));
  return { path, modules: modules.length };
}
