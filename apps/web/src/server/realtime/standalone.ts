/**
 * The realtime server without Next.js: agents (and, given an authenticator, browsers) on a bare
 * HTTP server against DATABASE_URL. For operations (a dedicated agent endpoint, debugging a
 * daemon) and for tests that must restart "the server process".
 *
 *   DATABASE_URL=postgres://... PORT=3001 tsx apps/web/src/server/realtime/standalone.ts
 *
 * Browsers are refused here: their sessions belong to the Next app (apps/web/server.ts).
 */
import { realpathSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { createPrismaClient } from "@fp4kit/db";
import type { AuthenticateBrowser } from "./browser-namespace";
import { attachRealtime, type Realtime, type RealtimeTiming } from "./index";

export interface StandaloneOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  authenticateBrowser?: AuthenticateBrowser;
  timing?: Partial<RealtimeTiming>;
}

export interface StandaloneRealtime {
  realtime: Realtime;
  port: number;
  close(): Promise<void>;
}

export async function startStandaloneRealtime(options: StandaloneOptions): Promise<StandaloneRealtime> {
  const db = createPrismaClient(options.databaseUrl);
  const httpServer = createServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/plain" }).end("fp4kit realtime server: socket.io only\n");
  });
  const realtime = attachRealtime(
    httpServer,
    {
      db,
      pgConnectionString: options.databaseUrl,
      authenticateBrowser: options.authenticateBrowser ?? (async () => null),
    },
    { timing: options.timing },
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host ?? "127.0.0.1", resolve);
  });
  return {
    realtime,
    port: (httpServer.address() as AddressInfo).port,
    async close() {
      await realtime.close();
      await db.$disconnect();
    },
  };
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(realpathSync(entry)).href === import.meta.url;
}

if (isMainModule()) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error("DATABASE_URL is required (postgres://user:password@host:port/database)");
    process.exit(2);
  }
  const server = await startStandaloneRealtime({
    databaseUrl,
    port: Number(process.env.PORT ?? 3001),
    host: process.env.HOST ?? "0.0.0.0",
  });
  console.log(JSON.stringify({ listening: server.port }));
  const shutdown = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
