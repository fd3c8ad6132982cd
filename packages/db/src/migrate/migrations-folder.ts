import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export type MigrationFile = {
  /** The folder name, `<timestamp>_<name>`; Prisma's `migration_name`. */
  name: string;
  sql: string;
  /** Lowercase hex sha256 of the file's text: what Prisma stores and compares. */
  checksum: string;
};

/** The migrations of a Prisma migrations folder, in the order Prisma applies them. */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const sql = await readFile(join(migrationsDir, name, "migration.sql"), "utf8").catch(() => undefined);
    if (sql === undefined) continue; // Prisma skips folders without a migration.sql as well.
    migrations.push({ name, sql, checksum: createHash("sha256").update(sql, "utf8").digest("hex") });
  }
  return migrations;
}
