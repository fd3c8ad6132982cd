import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The Prisma CLI wants a native schema-engine that it downloads on first use, which fails offline.
 * Unless PRISMA_SCHEMA_ENGINE_BINARY names an engine, or a downloaded one sits in @prisma/engines,
 * use the wasm build of the same engine through tools/prisma-engine-standin.
 */
function hasDownloadedEngine(): boolean {
  const enginesDir = here("./node_modules/@prisma/engines");
  return existsSync(enginesDir) && readdirSync(enginesDir).some((name) => name.startsWith("schema-engine-"));
}
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && !hasDownloadedEngine()) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = here("./tools/prisma-engine-standin/bin/schema-engine.mjs");
}

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  // Only the migrate/db commands need a server; `npm run prisma` supplies the embedded one.
  datasource: { url: process.env.DATABASE_URL, shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL },
});
