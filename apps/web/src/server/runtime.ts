import type { Auth } from "./auth";
import type { Db } from "./db";
import type { RealtimePort } from "./realtime-port";

/**
 * The process-wide services created once by server.ts.
 *
 * Next.js bundles route handlers and server components separately from server.ts (which runs under
 * tsx), so a module-level singleton would exist twice. A slot on globalThis is the one place both
 * module graphs share; server.ts fills it before Next handles the first request.
 */
export interface ServerRuntime {
  db: Db;
  auth: Auth;
  realtime: RealtimePort;
}

const SLOT = Symbol.for("fp4kit.web.runtime");
type RuntimeHolder = { [SLOT]?: ServerRuntime };

export function setServerRuntime(runtime: ServerRuntime | undefined): void {
  (globalThis as RuntimeHolder)[SLOT] = runtime;
}

export function getServerRuntime(): ServerRuntime {
  const runtime = (globalThis as RuntimeHolder)[SLOT];
  if (!runtime) {
    throw new Error("fp4kit web runtime is not initialised: start the app with `tsx apps/web/server.ts`");
  }
  return runtime;
}
