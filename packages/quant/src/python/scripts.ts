/**
 * `@fp4kit/quant/python`: quant's Python scripts, for whoever runs them (`fp4kit verify`, the
 * agent's verify jobs). PYTHON_HELPERS_DIR holds fp4kit_jsonl.py, the JSON-lines messages every
 * fp4kit script prints; a script elsewhere imports it with that folder on PYTHONPATH
 * (`pythonScriptEnv`).
 */
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PYTHON_HELPERS_DIR = fileURLToPath(new URL("../../python", import.meta.url));

/** Checks an NVFP4 checkpoint against its format and its FP8 source (docs/verification.md). */
export const VERIFY_SCRIPT = join(PYTHON_HELPERS_DIR, "verify_nvfp4.py");

/** Measures the activation amax W4A4 outputs need, in the model's own code (docs/calibration.md). */
export const CALIBRATE_SCRIPT = join(PYTHON_HELPERS_DIR, "calibrate.py");

/** The text `fp4kit calibrate` runs through the model unless given another. */
export const DEFAULT_CALIBRATION_TEXT = join(PYTHON_HELPERS_DIR, "calibration", "fp4kit-calibration.txt");

/** Runs an NVFP4 checkpoint and its FP8 source in transformers' modeling code (docs/forward-check.md). */
export const FORWARD_CHECK_SCRIPT = join(PYTHON_HELPERS_DIR, "forward_check.py");

/** `env` with PYTHON_HELPERS_DIR first on PYTHONPATH, so that `import fp4kit_jsonl` finds quant's. */
export function pythonScriptEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const rest = env.PYTHONPATH ? `${delimiter}${env.PYTHONPATH}` : "";
  return { ...env, PYTHONPATH: `${PYTHON_HELPERS_DIR}${rest}` };
}
