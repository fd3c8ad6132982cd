/**
 * The web server: Next.js (pages, tRPC, auth and download routes) and socket.io (agents and live
 * browser updates) on one HTTP server.
 *
 * Environment:
 *   PORT                 port to listen on (default 3000)
 *   HOST                 interface to bind (default 0.0.0.0)
 *   DATABASE_URL         PostgreSQL URL; unset = an embedded PostgreSQL under $FP4KIT_DATA_DIR/postgres
 *   BETTER_AUTH_SECRET   session signing secret; unset = generated once under FP4KIT_DATA_DIR
 *   BETTER_AUTH_URL      public URL of this instance (default http://localhost:$PORT): cookies are
 *                        Secure when it is https, and browsers must come from its origin
 *   TRUST_PROXY          which X-Forwarded-For hops to believe (src/server/http/client-address.ts);
 *                        unset = none, the client is the socket's peer
 *   FP4KIT_DATA_DIR      local state folder (default <repo>/.data)
 *   NODE_ENV             "development": Next.js dev mode; "production": the `next build` output
 *                        (required); unset: the build when there is one, else dev mode
 */
import { existsSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { join, resolve } from "node:path";
import { openDatabase, REPO_ROOT } from "@fp4kit/db";
import next from "next";
import { createAuth } from "./src/server/auth";
import { resolveAuthSecret } from "./src/server/auth-secret";
import { CLIENT_ADDRESS_HEADER, clientAddressOf, parseTrustProxy } from "./src/server/http/client-address";
import { applySecurityHeaders } from "./src/server/http/security-headers";
import { siteOrigins } from "./src/server/http/site-origins";
import { startWebhookDispatcher } from "./src/server/notifications/webhook-dispatcher";
import { attachRealtime } from "./src/server/realtime";
import { setServerRuntime } from "./src/server/runtime";

// Next.js telemetry phones home; fp4kit runs on offline GPU hosts. Opt in by setting it to 0.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";

const appDir = import.meta.dirname;
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const baseURL = process.env.BETTER_AUTH_URL ?? `http://localhost:${port}`;
const dataDir = resolve(process.env.FP4KIT_DATA_DIR ?? join(REPO_ROOT, ".data"));
const trustProxy = parseTrustProxy(process.env.TRUST_PROXY);
const https = new URL(baseURL).protocol === "https:";

const built = existsSync(join(appDir, ".next", "BUILD_ID"));
if (process.env.NODE_ENV === "production" && !built) {
  console.error("[web] no production build: run `npm run build -w @fp4kit/web` first");
  process.exit(1);
}
// Without NODE_ENV, a checkout that was never built still starts (in dev mode) rather than failing.
const dev = process.env.NODE_ENV === "development" || !built;
if (dev && process.env.NODE_ENV !== "development") {
  console.warn("[web] no production build found; starting Next.js in development mode");
}

function toFetchHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return result;
}

async function main() {
  const database = await openDatabase({
    dataDir: join(dataDir, "postgres"),
    log: (m) => console.log(`[db] ${m}`),
  });
  // Signing out closes the sockets opened with that session (realtime is attached after auth).
  let endBrowserSession: ((sessionId: string) => void) | undefined;
  const auth = createAuth(database.prisma, {
    secret: resolveAuthSecret(process.env, dataDir),
    baseURL,
    onSessionEnded: (sessionId) => endBrowserSession?.(sessionId),
  });

  const nextApp = next({ dev, dir: appDir, hostname: "localhost", port });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();

  const httpServer = createServer((req, res) => {
    // Replaces whatever the client sent: rate limits key on this, never on a header it chose.
    req.headers[CLIENT_ADDRESS_HEADER] = clientAddressOf(req, trustProxy);
    applySecurityHeaders(req, res, { dev, https });
    handle(req, res).catch((error: unknown) => {
      console.error("[web] request failed", error);
      if (!res.headersSent) res.writeHead(500).end("Internal Server Error");
    });
  });
  const realtime = attachRealtime(httpServer, {
    db: database.prisma,
    pgConnectionString: database.connectionString,
    allowedOrigins: siteOrigins(baseURL),
    authenticateBrowser: async (headers) => {
      const session = await auth.api.getSession({ headers: toFetchHeaders(headers) });
      return session ? { userId: session.user.id, sessionId: session.session.id } : null;
    },
  });
  endBrowserSession = (sessionId) => realtime.endBrowserSession(sessionId);
  setServerRuntime({ db: database.prisma, auth, realtime });
  const webhooks = startWebhookDispatcher({ db: database.prisma, log: console, publicUrl: baseURL });

  await new Promise<void>((ready) => httpServer.listen(port, host, ready));
  console.log(
    `[web] fp4kit ready at ${baseURL} (${dev ? "development" : "production"}${database.embedded ? ", embedded database" : ""})`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[web] ${signal}: shutting down`);
    // A stuck client connection must not keep the process alive forever.
    setTimeout(() => process.exit(1), 10_000).unref();
    // Closing socket.io closes the HTTP server too; open keep-alive connections would delay that.
    httpServer.closeAllConnections();
    await webhooks.stop();
    await realtime.close();
    await nextApp.close();
    setServerRuntime(undefined);
    await database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("[web] failed to start", error);
  process.exit(1);
});
