import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MigrateError, migrateDatabase } from "../src/index.ts";
import { readMigrations } from "../src/migrate/migrations-folder.ts";
import { MIGRATIONS_DIR } from "../src/paths.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.ts";

type HistoryRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
};

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const history = (url: string) =>
  query<HistoryRow>(
    url,
    `SELECT migration_name, checksum, finished_at, logs, applied_steps_count
     FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
  );

let databases: TestDatabase[] = [];
async function emptyDatabase(): Promise<string> {
  const database = await createTestDatabase({ empty: true });
  databases.push(database);
  return database.connectionString;
}
afterEach(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  databases = [];
});

describe("migrateDatabase with the committed migrations", () => {
  it("applies every migration once and records Prisma's checksums", async () => {
    const url = await emptyDatabase();
    const committed = await readMigrations(MIGRATIONS_DIR);
    expect(committed.length).toBeGreaterThan(0);

    const first = await migrateDatabase(url);
    expect(first.applied).toEqual(committed.map((migration) => migration.name));
    const rows = await history(url);
    expect(rows.map((row) => [row.migration_name, row.checksum, row.applied_steps_count, row.logs])).toEqual(
      committed.map((migration) => [migration.name, migration.checksum, 1, null]),
    );
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);

    const second = await migrateDatabase(url);
    expect(second.applied).toEqual([]);
    expect(await history(url)).toHaveLength(committed.length);
  });

  it("serialises concurrent runners on Prisma's advisory lock", async () => {
    const url = await emptyDatabase();
    const committed = await readMigrations(MIGRATIONS_DIR);
    const results = await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    expect(results.flatMap((result) => result.applied).sort()).toEqual(committed.map((m) => m.name).sort());
    expect(await history(url)).toHaveLength(committed.length);
  });

  it("refuses a non-empty database without migration history (P3005)", async () => {
    const url = await emptyDatabase();
    await query(url, "CREATE TABLE unrelated (id int)");
    await expect(migrateDatabase(url)).rejects.toMatchObject({ code: "P3005" });
  });
});

describe("migrateDatabase with a failing migration", () => {
  let migrationsDir: string;
  beforeAll(async () => {
    migrationsDir = await mkdtemp(join(tmpdir(), "fp4kit-migrations-"));
    await cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });
    const broken = join(migrationsDir, "99990101000000_broken");
    await mkdir(broken);
    // The first statement succeeds; the failure must roll it back with the rest of the file.
    await writeFile(
      join(broken, "migration.sql"),
      'CREATE TABLE "half_done" (id int);\nALTER TABLE "no_such_table" ADD COLUMN x int;\n',
    );
  });
  afterAll(() => rm(migrationsDir, { recursive: true, force: true }));

  it("records the error in the logs, rolls the file back and blocks later runs (P3009)", async () => {
    const url = await emptyDatabase();
    const failure = await migrateDatabase(url, { migrationsDir }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrateError);
    expect(failure).toMatchObject({ code: "P3018" });

    const broken = (await history(url)).find((row) => row.migration_name === "99990101000000_broken");
    expect(broken?.finished_at).toBeNull();
    expect(broken?.applied_steps_count).toBe(0);
    expect(broken?.logs).toContain('relation "no_such_table" does not exist');
    expect(broken?.logs).toContain("Database error code: 42P01");
    expect(await query(url, `SELECT to_regclass('half_done') IS NULL AS "rolledBack"`)).toEqual([
      { rolledBack: true },
    ]);

    await expect(migrateDatabase(url, { migrationsDir })).rejects.toMatchObject({ code: "P3009" });
  });
});
