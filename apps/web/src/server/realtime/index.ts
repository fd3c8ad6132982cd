import type { Server as HttpServer } from "node:http";
import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  BROWSER_NAMESPACE,
  OutputFolderAckSchema,
  type RunStatus,
} from "@fp4kit/protocol";
import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import { Server } from "socket.io";
import type { Db } from "../db";
import type { RealtimePort } from "../realtime-port";
import { registerAgentNamespace } from "./agent-namespace";
import { Broadcasts } from "./broadcasts";
import { type AuthenticateBrowser, registerBrowserNamespace } from "./browser-namespace";
import type { Logger } from "./logger";
import { agentRoom } from "./rooms";
import { DEFAULT_SEND_BUFFER_LIMITS, RunEventStream, type SendBufferLimits } from "./run-event-stream";
import { startSweeper } from "./sweeper";
import { DEFAULT_TIMING, type RealtimeTiming } from "./timing";

export type { RealtimeTiming } from "./timing";

export interface RealtimeDeps {
  db: Db;
  authenticateBrowser: AuthenticateBrowser;
  /** For the socket.io Postgres adapter (LISTEN/NOTIFY between web instances). */
  pgConnectionString: string;
  /**
   * The origins the site is served from. A handshake that carries an `Origin` header (every
   * browser request from another site does) must name one of them; agents send none.
   */
  allowedOrigins?: readonly string[];
}

export interface RealtimeOptions {
  timing?: Partial<RealtimeTiming>;
  sendBuffer?: Partial<SendBufferLimits>;
  log?: Logger;
}

export interface Realtime extends RealtimePort {
  /** Wakes the agents that may claim this run and shows it as QUEUED to the team. */
  notifyRunQueued(run: { id: string; teamId: string; agentId: string | null }): Promise<void>;
  /**
   * After the caller set `cancelRequestedAt`: tells the agent holding the run to stop it. The agent
   * also learns it at its next lease renewal, so a missed message only delays the cancel.
   */
  requestCancel(runId: string): Promise<void>;
  /** After the caller set `revokedAt`: disconnects the agent's sockets on every instance at once. */
  revokeAgent(agentId: string): Promise<void>;
  /** After the membership was deleted: the user's open sockets stop receiving the team's updates. */
  revokeTeamAccess(teamId: string, userId: string): void;
  /** A sign-in session ended (sign-out): the sockets opened with it are disconnected. */
  endBrowserSession(sessionId: string): void;
  /** Re-checks every browser socket's session and memberships now (it also runs periodically). */
  recheckBrowserAccess(): Promise<void>;
  /** For status changes made outside the realtime layer (e.g. a queued run cancelled by a user). */
  publishRunStatus(run: { id: string; teamId: string; status: RunStatus; progress: number }): void;
  /** One sweep now (leases, silent agents); it also runs every `sweepIntervalMs`. */
  sweep(): Promise<void>;
  readonly io: Server;
  close(): Promise<void>;
}

/** Measuring a multi-terabyte output folder walks every file: give it time. */
const OUTPUT_FOLDER_TIMEOUT_MS = 60_000;

/** Generous for artifacts (a quality report lists every tensor of a model). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Attaches socket.io to the web app's HTTP server: `/agent` for GPU-host agents, `/browser` for
 * signed-in users, the Postgres adapter so that several web instances act as one, and the sweeper.
 */
export function attachRealtime(
  httpServer: HttpServer,
  deps: RealtimeDeps,
  options: RealtimeOptions = {},
): Realtime {
  const timing: RealtimeTiming = { ...DEFAULT_TIMING, ...options.timing };
  const log = options.log ?? console;
  const { db } = deps;

  // LISTEN holds one connection; the rest serve NOTIFY and the attachments table.
  const pool = new pg.Pool({ connectionString: deps.pgConnectionString, max: 4 });
  let closing = false;
  const adapterError = (err: Error) => {
    if (!closing) log.error("[realtime] adapter database connection failed", err);
  };
  pool.on("error", adapterError);
  // The adapter's LISTEN client is checked out for good, so the pool's handler does not cover it:
  // without this, a database restart would crash the process instead of the adapter reconnecting.
  pool.on("connect", (client) => client.on("error", adapterError));
  const allowedOrigins = new Set(deps.allowedOrigins ?? []);
  const io = new Server(httpServer, {
    adapter: createAdapter(pool, { errorHandler: adapterError }),
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    // The agent uses websocket only; browsers may start with polling behind strict proxies.
    transports: ["websocket", "polling"],
    // The session cookie authenticates browsers, so a page of another site must not open a
    // socket with it (WebSockets are not bound by CORS; SameSite=Lax alone is not enough).
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      if (origin === undefined || allowedOrigins.has(origin)) callback(null, true);
      else callback(`origin ${origin} is not allowed`, false);
    },
  });
  const agents = io.of(AGENT_NAMESPACE);
  const browsers = io.of(BROWSER_NAMESPACE);
  const broadcasts = new Broadcasts(agents, browsers);
  const runEvents = new RunEventStream(browsers, db, log, {
    ...DEFAULT_SEND_BUFFER_LIMITS,
    ...options.sendBuffer,
  });

  registerAgentNamespace(agents, { db, timing, broadcasts, runEvents, log });
  const browserAccess = registerBrowserNamespace(browsers, {
    db,
    authenticateBrowser: deps.authenticateBrowser,
    runEvents,
    accessRecheckMs: timing.accessRecheckMs,
    log,
  });
  const sweeper = startSweeper({ db, timing, broadcasts, log });

  return {
    io,
    async notifyRunQueued(run) {
      broadcasts.runAvailable(run);
      broadcasts.runStatus(run.teamId, { runId: run.id, status: "QUEUED", progress: 0 });
    },
    async requestCancel(runId) {
      const run = await db.run.findUnique({ where: { id: runId }, select: { agentId: true, status: true } });
      if (run?.status === "RUNNING" && run.agentId) broadcasts.cancelRun(run.agentId, runId);
    },
    async revokeAgent(agentId) {
      broadcasts.revokeAgent(agentId, "the agent's token was revoked");
      const agent = await db.agent.updateManyAndReturn({
        where: { id: agentId, connectedAt: { not: null } },
        data: { connectedAt: null },
        select: { teamId: true, lastSeenAt: true },
      });
      for (const a of agent) {
        broadcasts.agentStatus(a.teamId, {
          agentId,
          online: false,
          lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
        });
      }
    },
    revokeTeamAccess: (teamId, userId) => browserAccess.revokeTeam(userId, teamId),
    endBrowserSession: (sessionId) => browserAccess.endSession(sessionId),
    recheckBrowserAccess: () => browserAccess.recheck(),
    publishRunStatus(run) {
      broadcasts.runStatus(run.teamId, { runId: run.id, status: run.status, progress: run.progress });
    },
    async outputFolder(agentId, request) {
      const replies: unknown[] = await agents
        .to(agentRoom(agentId))
        .timeout(OUTPUT_FOLDER_TIMEOUT_MS)
        .emitWithAck(AGENT_EVENTS.outputFolder, request)
        .catch(() => []);
      const reply = OutputFolderAckSchema.safeParse(replies[0]);
      return reply.success ? reply.data : null;
    },
    sweep: () => sweeper.sweep(),
    async close() {
      closing = true;
      await sweeper.stop();
      browserAccess.stop();
      // Also closes httpServer; the adapter's LISTEN client goes back to the pool before it ends.
      await io.close();
      await pool.end();
    },
  };
}
