import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { freePort, type ManagedProcess, startProcess } from "./processes";

export const APP_DIR = resolve(import.meta.dirname, "..", "..");

export interface WebServer {
  /** Where tests reach it (http://localhost:PORT), whatever its configured site URL says. */
  url: string;
  process: ManagedProcess;
}

/** The production server (`server.ts`, the `next build` output) on a free port and `databaseUrl`. */
export async function startWebServer(options: {
  databaseUrl: string;
  dataDir: string;
  /** BETTER_AUTH_URL; default the server's own http://localhost:PORT. */
  siteUrl?: string;
  env?: Record<string, string>;
}): Promise<WebServer> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const server = startProcess("web", process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: APP_DIR,
    echo: process.env.FP4KIT_E2E_VERBOSE === "1",
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      BETTER_AUTH_SECRET: "e2e-secret-e2e-secret-e2e-secret",
      BETTER_AUTH_URL: options.siteUrl ?? url,
      FP4KIT_DATA_DIR: options.dataDir,
      NEXT_TELEMETRY_DISABLED: "1",
      ...options.env,
    },
  });
  await server.waitFor(/fp4kit ready at/, 90_000);
  return { url, process: server };
}

/** Resident memory of a process, in bytes (Linux). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}
