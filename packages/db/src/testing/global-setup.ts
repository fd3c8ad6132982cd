/**
 * Vitest globalSetup: one embedded PostgreSQL per test run, in a temporary folder, with a migrated
 * template database that createTestDatabase() copies for each test file. It runs in Vitest's main
 * process, which outlives every worker, so the server is stopped exactly once, after all tests.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "../embedded/embedded-postgres.ts";
import { migrateDatabase } from "../migrate/migrate.ts";
import { TEMPLATE_DATABASE, TEST_TEMPLATE_URL_ENV } from "./template.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), "fp4kit-test-pg-"));
  // As root the server runs as "postgres", which must be able to enter this folder.
  await chmod(root, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(root, "cluster"), database: TEMPLATE_DATABASE });
  try {
    await migrateDatabase(server.connectionString);
  } catch (error) {
    await server.stop();
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  // Workers are forked after global setup and inherit this environment.
  process.env[TEST_TEMPLATE_URL_ENV] = server.connectionString;
  return async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
}
