/**
 * `npm run python-env --workspace @fp4kit/quant`: sets up (or reuses) the project's Python
 * environment and prints its interpreter, for `fp4kit verify` / `calibrate` and the tests.
 */
import { ensurePythonEnv } from "../src/python/python-env.ts";

const env = await ensurePythonEnv();
process.stdout.write(`${env.python}\n`);
