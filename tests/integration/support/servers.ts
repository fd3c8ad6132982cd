import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { PrismaClient } from "@fp4kit/db";
import { attachRealtime, type Realtime, type RealtimeTiming } from "@fp4kit/web/server/realtime";

/** Tests sign browsers in with a header instead of a session cookie (the web app's concern). */
export async function authenticateTestBrowser(
  headers: IncomingHttpHeaders,
): Promise<{ userId: string } | null> {
  const user = headers["x-test-user"];
  return typeof user === "string" ? { userId: user } : null;
}

/** Short clocks, so that leases and offline detection are observable within a test. */
export const TEST_TIMING: Partial<RealtimeTiming> = {
  heartbeatSeconds: 1,
  leaseSeconds: 20,
  offlineAfterSeconds: 4,
  sweepIntervalMs: 500,
  leaseGraceSeconds: 3,
};

export interface InProcessServer {
  url: string;
  realtime: Realtime;
  close(): Promise<void>;
}

/** The web app's real realtime module on a bare HTTP server in this process. */
export async function startInProcessServer(
  db: PrismaClient,
  connectionString: string,
  timing = TEST_TIMING,
): Promise<InProcessServer> {
  const http = createServer();
  const realtime = attachRealtime(
    http,
    { db, pgConnectionString: connectionString, authenticateBrowser: authenticateTestBrowser },
    { timing },
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    realtime,
    close: () => realtime.close(),
  };
}

const SERVER_SCRIPT = fileURLToPath(new URL("./server-process.ts", import.meta.url));

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** The realtime server as a separate process (so a test can kill and restart "the server process"). */
export async function startServerProcess(
  databaseUrl: string,
  port = 0,
  timing = TEST_TIMING,
): Promise<ServerProcess> {
  // `node --import tsx` keeps it one process (the tsx CLI would fork one that SIGKILL misses).
  const child = spawn(process.execPath, ["--import", "tsx", SERVER_SCRIPT], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      TEST_TIMING: JSON.stringify(timing),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const listening = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /\{"listening":(\d+)\}/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`server process exited with ${code} before listening`)));
  });
  return {
    port: listening,
    child,
    async kill() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
