import { fileURLToPath } from "node:url";

/** The repository root, found from this file rather than the working directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Committed migrations in Prisma's layout: `<timestamp>_<name>/migration.sql`. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations/", import.meta.url));

/** Where `npm start` keeps the embedded PostgreSQL cluster. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../../../.data/postgres", import.meta.url));
