/**
 * `npm run db:new-migration -- <name>`: after editing prisma/schema.prisma, writes
 * prisma/migrations/<timestamp>_<name>/migration.sql, computed by Prisma's own schema engine (its
 * wasm build through tools/prisma-engine-standin when no native engine is installed), offline.
 *
 * A scratch embedded PostgreSQL under .data/prisma-dev (never `npm start`'s data) gets the committed
 * migrations from packages/db's runner; `prisma migrate diff` then compares it with the schema.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { migrateDatabase, REPO_ROOT, startEmbeddedPostgres } from "@fp4kit/db";
import pg from "pg";

const SCRATCH_DATABASE = "authoring";

function migrationName(): string {
  const name = process.argv[2] ?? "";
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error("usage: npm run db:new-migration -- <name>   (lowercase letters, digits and _)");
  }
  // Prisma's folder format: UTC yyyyMMddHHmmss, then the name.
  const timestamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${timestamp}_${name}`;
}

async function recreateScratchDatabase(serverUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${SCRATCH_DATABASE}`);
  } finally {
    await client.end();
  }
}

/** Exit code of `prisma migrate diff --exit-code`: 0 no difference, 2 a difference (written to `output`). */
async function diffDatabaseToSchema(databaseUrl: string, output: string): Promise<number> {
  const args = [
    "migrate",
    "diff",
    "--from-config-datasource",
    "--to-schema",
    "prisma/schema.prisma",
    "--script",
  ];
  const cli = spawn(
    join(REPO_ROOT, "node_modules", ".bin", "prisma"),
    [...args, "--exit-code", "--output", output],
    {
      cwd: REPO_ROOT,
      stdio: "inherit",
      env: { ...process.env, DATABASE_URL: databaseUrl },
    },
  );
  const [code] = (await once(cli, "exit")) as [number | null];
  return code ?? 1;
}

const name = migrationName();
const folder = join(REPO_ROOT, "prisma", "migrations", name);
const server = await startEmbeddedPostgres({
  dataDir: join(REPO_ROOT, ".data", "prisma-dev"),
  database: "postgres",
});
try {
  await recreateScratchDatabase(server.connectionString);
  const scratchUrl = new URL(server.connectionString);
  scratchUrl.pathname = `/${SCRATCH_DATABASE}`;
  await migrateDatabase(scratchUrl.toString());

  await mkdir(folder);
  const file = join(folder, "migration.sql");
  const code = await diffDatabaseToSchema(scratchUrl.toString(), file);
  if (code === 2) {
    console.log(`wrote ${relative(REPO_ROOT, file)}:\n\n${await readFile(file, "utf8")}`);
  } else {
    await rm(folder, { recursive: true, force: true });
    console.log(
      code === 0
        ? "the committed migrations already match the schema: nothing to write"
        : "prisma migrate diff failed",
    );
    process.exitCode = code === 0 ? 0 : 1;
  }
} finally {
  await server.stop();
}
