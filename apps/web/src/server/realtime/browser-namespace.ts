import type { IncomingHttpHeaders } from "node:http";
import {
  BROWSER_EVENTS,
  BrowserSubscribeRunSchema,
  BrowserSubscribeTeamSchema,
  BrowserUnsubscribeRunSchema,
} from "@fp4kit/protocol";
import type { Namespace, Socket } from "socket.io";
import type { Db } from "../db";
import type { Logger } from "./logger";
import { onRequest, RequestError } from "./requests";
import { sessionRoom, teamOfRoom, teamRoom, userRoom } from "./rooms";
import type { RunEventStream } from "./run-event-stream";

/** Who a browser is: its user and, where sign-in sessions exist, the session it connected with. */
export interface BrowserIdentity {
  userId: string;
  sessionId?: string;
}

/** Resolves a handshake's (or a later re-check's) headers to the signed-in user, or null. */
export type AuthenticateBrowser = (headers: IncomingHttpHeaders) => Promise<BrowserIdentity | null>;

export interface BrowserNamespaceDeps {
  db: Db;
  authenticateBrowser: AuthenticateBrowser;
  runEvents: RunEventStream;
  /** How often every socket's session and team memberships are checked again. */
  accessRecheckMs: number;
  log: Logger;
}

/** Ends what a browser may still receive when its access goes away, on every web instance. */
export interface BrowserAccess {
  /** The user left (or was removed from) the team: its rooms and run subscriptions end now. */
  revokeTeam(userId: string, teamId: string): void;
  /** The sign-in session ended (signed out, revoked, expired): its sockets are disconnected. */
  endSession(sessionId: string): void;
  /** Checks every socket of this instance now (it also runs every `accessRecheckMs`). */
  recheck(): Promise<void>;
  stop(): void;
}

interface BrowserSocketData {
  userId: string;
  sessionId: string | undefined;
}

/** Server-to-server event: a user's team access was revoked; instances drop their run subscriptions. */
const TEAM_ACCESS_REVOKED = "fp4kit:team-access-revoked";

/** The same refusal for "no such run/team" and "not yours", so ids cannot be probed. */
const notVisible = (what: string) =>
  new RequestError("FORBIDDEN", `${what} not found or you are not a member of its team`);

/**
 * `/browser`: signed-in users watching runs and their team's agents. Access is checked when a
 * socket subscribes, and again whenever it may have changed: a membership removed or a session
 * ended (through BrowserAccess, at once) and periodically (what changed elsewhere, such as an
 * expired session or a membership removed in the database directly).
 */
export function registerBrowserNamespace(browsers: Namespace, deps: BrowserNamespaceDeps): BrowserAccess {
  const { db, log, runEvents } = deps;

  browsers.use(async (socket, next) => {
    try {
      const identity = await deps.authenticateBrowser(socket.request.headers);
      if (!identity) return next(new Error("not signed in"));
      socket.data = { userId: identity.userId, sessionId: identity.sessionId } satisfies BrowserSocketData;
      next();
    } catch (err) {
      deps.log.error("[realtime] browser authentication failed", err);
      next(new Error("authentication is unavailable; retrying"));
    }
  });

  const dropTeamLocally = (userId: string, teamId: string) => {
    for (const socket of browsers.sockets.values()) {
      if ((socket.data as BrowserSocketData).userId === userId) runEvents.unsubscribeTeam(socket, teamId);
    }
  };
  browsers.on(TEAM_ACCESS_REVOKED, ({ userId, teamId }: { userId: string; teamId: string }) =>
    dropTeamLocally(userId, teamId),
  );

  browsers.on("connection", (socket: Socket) => {
    const { userId, sessionId } = socket.data as BrowserSocketData;
    // Rooms by user and session, so that revocations reach this socket from any instance.
    socket.join(sessionId ? [userRoom(userId), sessionRoom(sessionId)] : userRoom(userId));
    const isMember = async (teamId: string) =>
      (await db.membership.findUnique({
        where: { teamId_userId: { teamId, userId } },
        select: { id: true },
      })) !== null;

    onRequest(
      socket,
      BROWSER_EVENTS.subscribeRun,
      BrowserSubscribeRunSchema,
      async ({ runId, afterSeq }) => {
        const run = await db.run.findUnique({ where: { id: runId }, select: { teamId: true } });
        if (!run || !(await isMember(run.teamId))) throw notVisible("run");
        await runEvents.subscribe(socket, { runId, teamId: run.teamId }, afterSeq);
        // Read after the replay so the status is at least as new as the events sent.
        const current = await db.run.findUniqueOrThrow({
          where: { id: runId },
          select: { status: true, progress: true },
        });
        return { status: current.status, progress: current.progress };
      },
      log,
    );

    onRequest(
      socket,
      BROWSER_EVENTS.unsubscribeRun,
      BrowserUnsubscribeRunSchema,
      async ({ runId }) => {
        runEvents.unsubscribe(socket, runId);
        return {};
      },
      log,
    );

    onRequest(
      socket,
      BROWSER_EVENTS.subscribeTeam,
      BrowserSubscribeTeamSchema,
      async ({ teamId }) => {
        if (!(await isMember(teamId))) throw notVisible("team");
        await socket.join(teamRoom(teamId));
        return {};
      },
      log,
    );

    socket.on("disconnect", () => runEvents.unsubscribeAll(socket));
  });

  /** Disconnects a socket whose session is gone; ends what it holds of teams it left. */
  const recheckSocket = async (socket: Socket) => {
    const { userId } = socket.data as BrowserSocketData;
    const identity = await deps.authenticateBrowser(socket.request.headers);
    if (identity?.userId !== userId) {
      socket.disconnect(true);
      return;
    }
    const teams = new Set<string>(runEvents.subscriptionsOf(socket).map((run) => run.teamId));
    for (const room of socket.rooms) {
      const teamId = teamOfRoom(room);
      if (teamId) teams.add(teamId);
    }
    if (teams.size === 0) return;
    const memberships = await db.membership.findMany({
      where: { userId, teamId: { in: [...teams] } },
      select: { teamId: true },
    });
    const stillMember = new Set(memberships.map((m) => m.teamId));
    for (const teamId of teams) {
      if (stillMember.has(teamId)) continue;
      socket.leave(teamRoom(teamId));
      runEvents.unsubscribeTeam(socket, teamId);
    }
  };

  const recheck = async () => {
    for (const socket of [...browsers.sockets.values()]) {
      if (socket.disconnected) continue;
      await recheckSocket(socket).catch((err: unknown) =>
        // Authentication or the database unavailable: keep the socket; the next round decides.
        log.error("[realtime] re-checking a browser's access failed", err),
      );
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void recheck().finally(() => {
      running = false;
    });
  }, deps.accessRecheckMs);
  timer.unref();

  return {
    revokeTeam(userId, teamId) {
      browsers.in(userRoom(userId)).socketsLeave(teamRoom(teamId));
      dropTeamLocally(userId, teamId);
      browsers.serverSideEmit(TEAM_ACCESS_REVOKED, { userId, teamId });
    },
    endSession(sessionId) {
      browsers.in(sessionRoom(sessionId)).disconnectSockets(true);
    },
    recheck,
    stop: () => clearInterval(timer),
  };
}
