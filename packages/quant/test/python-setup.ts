/**
 * Vitest global setup: the Python tests run on the project's Python environment, set up here on
 * the first run (minutes) and reused afterwards (`src/python/python-env.ts`). Its interpreter is
 * handed to the tests as FP4KIT_PYTHON.
 */
import { ensurePythonEnv } from "../src/python/python-env.ts";

export default async function setup(): Promise<void> {
  const env = await ensurePythonEnv();
  process.env.FP4KIT_PYTHON = env.python;
}
