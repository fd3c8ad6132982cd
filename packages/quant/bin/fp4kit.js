#!/usr/bin/env node
// Runs the TypeScript sources directly: the package ships TS (no build step), tsx compiles on load.
import { register } from "tsx/esm/api";

// The CUDA pipeline's async calls each hold a libuv pool thread while their tensor is on a GPU
// (GPUs × 3 at once), and file reads and writes need threads too: 4 (libuv's default) would
// serialise them. Must be set before the pool's first use.
process.env.UV_THREADPOOL_SIZE ??= "64";

register();
const { runCli } = await import("../src/cli/main.ts");
process.exitCode = await runCli(process.argv);
