#!/usr/bin/env node
// The agent ships as TypeScript source (like every fp4kit package): register tsx's loader, then
// run the CLI. Worker threads register it again themselves (src/jobs/convert-worker.mjs).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
