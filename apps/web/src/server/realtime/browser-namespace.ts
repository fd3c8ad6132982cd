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
import { teamRoom } from "./rooms";
import type { RunEventStream } from "./run-event-stream";

export type AuthenticateBrowser = (headers: IncomingHttpHeaders) => Promise<{ userId: string } | null>;

export interface BrowserNamespaceDeps {
  db: Db;
  authenticateBrowser: AuthenticateBrowser;
  runEvents: RunEventStream;
  log: Logger;
}

interface BrowserSocketData {
  userId: string;
}

/** The same refusal for "no such run/team" and "not yours", so ids cannot be probed. */
const notVisible = (what: string) =>
  new RequestError("FORBIDDEN", `${what} not found or you are not a member of its team`);

/** `/browser`: signed-in users watching runs and their team's agents. */
export function registerBrowserNamespace(browsers: Namespace, deps: BrowserNamespaceDeps): void {
  browsers.use(async (socket, next) => {
    try {
      const user = await deps.authenticateBrowser(socket.request.headers);
      if (!user) return next(new Error("not signed in"));
      socket.data = { userId: user.userId } satisfies BrowserSocketData;
      next();
    } catch (err) {
      deps.log.error("[realtime] browser authentication failed", err);
      next(new Error("authentication is unavailable; retrying"));
    }
  });

  browsers.on("connection", (socket: Socket) => {
    const { userId } = socket.data as BrowserSocketData;
    const { db, log, runEvents } = deps;
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
        await runEvents.subscribe(socket, runId, afterSeq);
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
}
