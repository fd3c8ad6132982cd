/**
 * Runs the embedded PostgreSQL of `npm start` in a process of its own, started detached: the
 * terminal's Ctrl-C then reaches only `npm start`, which stops the web app and the agent first
 * and the database last. The IPC channel to `npm start` is the lifeline: when it closes (asked
 * to, or because `npm start` died, even by SIGKILL) the database shuts down, so none is orphaned.
 */
import { startEmbeddedPostgres } from "@fp4kit/db";

export type DatabaseHostMessage = { connectionString: string } | { error: string };

const send = (message: DatabaseHostMessage) => process.send?.(message);

try {
  const server = await startEmbeddedPostgres({ dataDir: process.argv[2] as string });
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.once("disconnect", stop);
  process.once("SIGTERM", stop);
  send({ connectionString: server.connectionString });
} catch (error) {
  send({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
