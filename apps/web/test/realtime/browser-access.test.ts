/**
 * The periodic re-check of browser sockets' access, on the real realtime module (HTTP server,
 * socket.io, Postgres adapter) in this process. Sessions are stood in for by a header the
 * authenticator looks up, so a test can end one without better-auth; the real server's sign-out
 * and member removal are tried in e2e/security.e2e.test.ts.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { generateAgentToken } from "@fp4kit/db";
import { AGENT_NAMESPACE, BROWSER_EVENTS, BROWSER_NAMESPACE } from "@fp4kit/protocol";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { attachRealtime, type Realtime } from "../../src/server/realtime";
import { setupTestDatabase } from "../support/test-db";
import { createUser } from "../support/world";

const database = setupTestDatabase();
let realtime: Realtime;
let url: string;
const sockets: Socket[] = [];
/** Session ids the authenticator accepts; deleting one ends that session. */
const liveSessions = new Map<string, string>();

async function authenticate(headers: IncomingHttpHeaders) {
  const sessionId = headers["x-test-session"];
  if (typeof sessionId !== "string") return null;
  const userId = liveSessions.get(sessionId);
  return userId ? { userId, sessionId } : null;
}

beforeAll(async () => {
  const http = createServer();
  realtime = attachRealtime(
    http,
    {
      db: database.current.prisma,
      pgConnectionString: database.current.connectionString,
      authenticateBrowser: authenticate,
    },
    { timing: { accessRecheckMs: 200 } },
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await realtime?.close();
});

function connect(namespace: string, options: Parameters<typeof io>[1]): Promise<Socket> {
  const socket = io(`${url}${namespace}`, { transports: ["websocket"], reconnection: false, ...options });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** A team with one member watching a RUNNING run of it, and the run's agent. */
async function watchedRun(name: string) {
  const db = database.current.prisma;
  const user = await createUser(db, name);
  const team = await db.team.create({ data: { name, slug: `team-${name.toLowerCase()}` } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "MEMBER" } });
  const { token, tokenHash, tokenPrefix } = generateAgentToken();
  const agent = await db.agent.create({
    data: { teamId: team.id, name: `${name}-gpu`, tokenHash, tokenPrefix, createdById: user.id },
  });
  const run = await db.run.create({
    data: {
      teamId: team.id,
      kind: "INSPECT",
      model: "m",
      sourcePath: "/data/m",
      options: {},
      status: "RUNNING",
      agentId: agent.id,
      createdById: user.id,
      leaseExpiresAt: new Date(Date.now() + 600_000),
    },
  });
  const sessionId = `session-${name}`;
  liveSessions.set(sessionId, user.id);
  const browser = await connect(BROWSER_NAMESPACE, { extraHeaders: { "x-test-session": sessionId } });
  const got = { events: 0, statuses: 0 };
  browser.on(BROWSER_EVENTS.runEvents, (p: { events: unknown[] }) => {
    got.events += p.events.length;
  });
  browser.on(BROWSER_EVENTS.runStatus, () => {
    got.statuses++;
  });
  expect((await browser.emitWithAck(BROWSER_EVENTS.subscribeTeam, { teamId: team.id })).ok).toBe(true);
  expect((await browser.emitWithAck(BROWSER_EVENTS.subscribeRun, { runId: run.id, afterSeq: 0 })).ok).toBe(
    true,
  );
  const agentSocket = await connect(AGENT_NAMESPACE, { auth: { token } });
  let seq = 0;
  const publish = async () => {
    const events = [{ type: "log", seq: ++seq, ts: new Date().toISOString(), stream: "STDOUT", line: "x" }];
    expect((await agentSocket.emitWithAck("run:events", { runId: run.id, events })).ok).toBe(true);
    realtime.publishRunStatus({ id: run.id, teamId: team.id, status: "RUNNING", progress: 0.5 });
  };
  return { user, team, sessionId, browser, got, publish };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("ends a socket's team updates and run events once its membership is gone, without any call", async () => {
  const w = await watchedRun("Mia");
  await w.publish();
  await expect.poll(() => w.got).toEqual({ events: 1, statuses: 1 });
  // Removed behind the app's back (another instance, a script, a cascade): the re-check finds it.
  await database.current.prisma.membership.deleteMany({ where: { userId: w.user.id } });
  await sleep(600);
  await w.publish();
  await sleep(400);
  expect(w.got).toEqual({ events: 1, statuses: 1 });
  expect(w.browser.connected).toBe(true);
});

it("disconnects a socket whose session ended, at the next re-check", async () => {
  const w = await watchedRun("Leo");
  const reason = new Promise<string>((resolve) => w.browser.once("disconnect", resolve));
  liveSessions.delete(w.sessionId);
  expect(await reason).toBe("io server disconnect");
});

it("refuses a handshake that names a foreign origin and accepts one without (agents)", async () => {
  liveSessions.set("session-origin", "nobody");
  await expect(
    connect(BROWSER_NAMESPACE, {
      extraHeaders: { "x-test-session": "session-origin", origin: "https://evil.example" },
    }),
  ).rejects.toThrow();
  await connect(BROWSER_NAMESPACE, { extraHeaders: { "x-test-session": "session-origin" } });
});
