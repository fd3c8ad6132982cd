#!/usr/bin/env node
// Runs the TypeScript sources directly: the package ships TS (no build step), tsx compiles on load.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/main.ts");
process.exitCode = await runCli(process.argv);
