import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "@fp4kit/db/paths";
import type { DatabaseHostMessage } from "./database-host.ts";

export type RunningDatabase = { connectionString: string; stop(): Promise<void> };

const HOST_SCRIPT = fileURLToPath(new URL("./database-host.ts", import.meta.url));

/** Starts the embedded PostgreSQL in its own detached process (see database-host.ts). */
export function startDatabaseHost(dataDir: string): Promise<RunningDatabase> {
  const host = fork(HOST_SCRIPT, [dataDir], {
    cwd: REPO_ROOT,
    detached: true,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => host.once("exit", () => resolve()));
  const stop = async () => {
    if (host.connected) host.disconnect();
    await exited;
  };
  return new Promise((resolve, reject) => {
    host.once("message", (message: DatabaseHostMessage) => {
      if ("error" in message) reject(new Error(message.error));
      else resolve({ connectionString: message.connectionString, stop });
    });
    host.once("exit", (code) =>
      reject(new Error(`the database process exited (code ${code}) before it was ready`)),
    );
  });
}
