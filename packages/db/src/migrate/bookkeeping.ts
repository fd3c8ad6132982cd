import { randomUUID } from "node:crypto";
import type pg from "pg";
import { MigrateError } from "./migrate-error.ts";

/** Prisma Migrate's own table, created exactly as the Prisma engine creates it. */
const CREATE_TABLE = `CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type AppliedMigration = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
};

async function hasBookkeepingTable(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT to_regclass(format('%I.%I', current_schema(), '_prisma_migrations')) IS NOT NULL AS "exists"`,
  );
  return rows[0]?.exists === true;
}

/** Tables, views, sequences and types in the current schema: what makes Prisma say "not empty". */
async function schemaIsEmpty(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ objects: number }>(
    `SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
          + (SELECT count(*) FROM pg_type WHERE typnamespace = current_schema()::regnamespace
               AND typtype IN ('e', 'd')) AS "objects"`,
  );
  return Number(rows[0]?.objects) === 0;
}

/**
 * Creates the table in an empty schema. A schema that has tables but no history was not made by
 * these migrations: refuse, as `prisma migrate deploy` does (P3005), rather than guess.
 */
export async function ensureBookkeepingTable(client: pg.Client): Promise<void> {
  if (await hasBookkeepingTable(client)) return;
  if (!(await schemaIsEmpty(client))) {
    throw new MigrateError(
      "P3005",
      "The database schema is not empty and has no migration history (_prisma_migrations). " +
        "Migrate an empty database, or baseline this one: https://pris.ly/d/migrate-baseline",
    );
  }
  await client.query(CREATE_TABLE);
}

export async function readAppliedMigrations(client: pg.Client): Promise<AppliedMigration[]> {
  const { rows } = await client.query<AppliedMigration>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
  return rows;
}

/** Records the start of a migration; the row stays (with logs) if the migration fails. */
export async function recordStarted(client: pg.Client, name: string, checksum: string): Promise<string> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, checksum, name],
  );
  return id;
}

export async function recordFinished(client: pg.Client, id: string): Promise<void> {
  await client.query(
    `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
    [id],
  );
}

export async function recordFailed(client: pg.Client, id: string, logs: string): Promise<void> {
  await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, logs]);
}
