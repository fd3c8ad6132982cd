import pg from "pg";

/** The `cli <command>` forms the Prisma CLI runs as one-shot processes. */
export type DatabaseCommand = "can-connect-to-database" | "create-database" | "drop-database";

/** Prisma's error codes for the failures these commands report. */
function prismaErrorCode(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === "3D000") return "P1003"; // database does not exist
  if (code === "28P01" || code === "28000") return "P1000"; // authentication failed
  if (code === "42P04") return "P1009"; // database already exists
  return "P1001"; // cannot reach the server
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** The same server's maintenance database, to create or drop the target from. */
function maintenanceUrl(url: string): { adminUrl: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  parsed.pathname = "/postgres";
  return { adminUrl: parsed.toString(), database };
}

/**
 * Runs one command; on failure prints the error as the native engine's JSON log line on stderr
 * (the CLI looks for target "schema_engine::logger" with `error_code` and `message`).
 */
export async function runDatabaseCommand(command: DatabaseCommand, url: string): Promise<number> {
  try {
    const { adminUrl, database } = maintenanceUrl(url);
    const quoted = pg.escapeIdentifier(database);
    if (command === "can-connect-to-database") await withClient(url, (c) => c.query("SELECT 1"));
    if (command === "create-database")
      await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoted}`));
    if (command === "drop-database") await withClient(adminUrl, (c) => c.query(`DROP DATABASE ${quoted}`));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const fields = { message, error_code: prismaErrorCode(error) };
    process.stderr.write(
      `${JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", fields, target: "schema_engine::logger" })}\n`,
    );
    return 1;
  }
}
