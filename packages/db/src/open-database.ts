import { createPrismaClient } from "./client.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded/embedded-postgres.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { migrateDatabase } from "./migrate/migrate.ts";
import { DEFAULT_DATA_DIR } from "./paths.ts";

export type OpenDatabaseOptions = {
  /** Cluster directory of the embedded server; ignored when DATABASE_URL is set. */
  dataDir?: string;
  log?: (message: string) => void;
};

export type OpenDatabase = {
  prisma: PrismaClient;
  connectionString: string;
  /** Whether this process started the server (and close() stops it). */
  embedded: boolean;
  close(): Promise<void>;
};

/**
 * The product's database: the server at DATABASE_URL, or else an embedded PostgreSQL under
 * `.data/postgres` (started here), with every committed migration applied.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  const log = options.log ?? (() => {});
  let connectionString = process.env.DATABASE_URL ?? "";
  let server: EmbeddedPostgres | undefined;
  if (connectionString === "") {
    const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
    server = await startEmbeddedPostgres({ dataDir });
    connectionString = server.connectionString;
    log(`embedded PostgreSQL running from ${dataDir}`);
  }
  try {
    await migrateDatabase(connectionString, { log });
    const prisma = createPrismaClient(connectionString);
    await prisma.$connect();
    return {
      prisma,
      connectionString,
      embedded: server !== undefined,
      close: async () => {
        await prisma.$disconnect();
        await server?.stop();
      },
    };
  } catch (error) {
    await server?.stop();
    throw error;
  }
}
