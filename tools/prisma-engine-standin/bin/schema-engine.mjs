#!/usr/bin/env node
// Executable the Prisma CLI spawns in place of its native schema-engine (see ../src/main.ts).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
