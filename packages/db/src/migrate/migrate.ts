import pg from "pg";
import { MIGRATIONS_DIR } from "../paths.ts";
import {
  ensureBookkeepingTable,
  readAppliedMigrations,
  recordFailed,
  recordFinished,
  recordStarted,
} from "./bookkeeping.ts";
import { MigrateError } from "./migrate-error.ts";
import { type MigrationFile, readMigrations } from "./migrations-folder.ts";

/** The advisory lock key Prisma Migrate takes, so our runner and the CLI exclude each other. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

export type MigrateOptions = {
  /** Defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
  log?: (message: string) => void;
};

function failureLogs(migration: MigrationFile, error: unknown): string {
  const { code, message, position } = error as { code?: string; message?: string; position?: string };
  const lines = [`Migration name: ${migration.name}`, ""];
  if (code) lines.push(`Database error code: ${code}`, "");
  lines.push("Database error:", message ?? String(error));
  if (position) lines.push("", `Position: ${position}`);
  return lines.join("\n");
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  const id = await recordStarted(client, migration.name, migration.checksum);
  try {
    // One simple-protocol query: PostgreSQL runs the whole file in one implicit transaction, so a
    // failure leaves nothing half-applied (and `$$` bodies need no statement splitting).
    await client.query(migration.sql);
  } catch (error) {
    const logs = failureLogs(migration, error);
    await recordFailed(client, id, logs);
    throw new MigrateError("P3018", `A migration failed to apply.\n${logs}`);
  }
  await recordFinished(client, id);
}

/**
 * Applies the committed migrations that the database has not applied yet, writing Prisma's own
 * `_prisma_migrations` table so that `prisma migrate status|deploy` elsewhere agree with it.
 */
export async function migrateDatabase(
  connectionString: string,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK_KEY]);
    await ensureBookkeepingTable(client);
    const history = await readAppliedMigrations(client);
    const failed = history.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) {
      throw new MigrateError(
        "P3009",
        `The migration ${failed.migration_name} failed earlier; fix the database, then mark it with ` +
          "`prisma migrate resolve --rolled-back|--applied`: https://pris.ly/d/migrate-resolve",
      );
    }
    const finished = new Map(
      history
        .filter((row) => row.finished_at !== null && row.rolled_back_at === null)
        .map((row) => [row.migration_name, row]),
    );
    const applied: string[] = [];
    for (const migration of migrations) {
      const done = finished.get(migration.name);
      if (done) {
        if (done.checksum !== migration.checksum) {
          log(`warning: migration ${migration.name} was modified after it was applied`);
        }
        continue;
      }
      await applyOne(client, migration);
      applied.push(migration.name);
      log(`applied migration ${migration.name}`);
    }
    return { applied };
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end();
  }
}
