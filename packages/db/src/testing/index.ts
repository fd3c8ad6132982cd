import { randomBytes } from "node:crypto";
import pg from "pg";
import { createPrismaClient } from "../client.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { TEMPLATE_DATABASE, TEST_TEMPLATE_URL_ENV } from "./template.ts";

export type TestDatabase = {
  /** Connection string of this database (for code under test that connects by itself). */
  connectionString: string;
  prisma: PrismaClient;
  /** Disconnects the client and drops the database (other connections to it are terminated). */
  drop(): Promise<void>;
};

export type TestDatabaseOptions = {
  /** An empty database instead of a migrated one (for tests of migrations themselves). */
  empty?: boolean;
};

function templateUrl(): URL {
  const url = process.env[TEST_TEMPLATE_URL_ENV];
  if (!url) {
    throw new Error(
      `${TEST_TEMPLATE_URL_ENV} is not set: add "@fp4kit/db/testing/global-setup" to test.globalSetup ` +
        "in this package's vitest.config.ts (see the README's Tests section).",
    );
  }
  return new URL(url);
}

function withDatabase(url: URL, database: string): string {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy.toString();
}

/** Runs one statement in the server's maintenance database (a template must have no sessions). */
async function runOnServer(template: URL, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(template, "postgres") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own on the test run's embedded PostgreSQL. Migrated ones are copies of the
 * template migrated once by the global setup: milliseconds, however many migrations there are.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const template = templateUrl();
  const name = `test_${randomBytes(8).toString("hex")}`;
  const source = options.empty ? "template0" : TEMPLATE_DATABASE;
  await runOnServer(template, `CREATE DATABASE "${name}" TEMPLATE "${source}"`);
  const connectionString = withDatabase(template, name);
  const prisma = createPrismaClient(connectionString);
  return {
    connectionString,
    prisma,
    drop: async () => {
      await prisma.$disconnect();
      await runOnServer(template, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
