/**
 * The security boundaries of the running product, tried from outside as an attacker would: the
 * production server (server.ts) on a real PostgreSQL, driven over HTTP, socket.io and Chromium.
 * What the README's Security section promises is what this file checks.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { AGENT_NAMESPACE, BROWSER_EVENTS, BROWSER_NAMESPACE } from "@fp4kit/protocol";
import type { BrowserContext, Page } from "playwright-core";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAppBuilt } from "./support/app-build";
import { launchChromium } from "./support/browser";
import { authPost, cookieOf, type HttpResponse, httpRequest, trpcMutation } from "./support/http-client";
import { seedAgent } from "./support/seeded-agent";
import { APP_DIR, residentBytes, startWebServer, type WebServer } from "./support/web-server";

const PASSWORD = "correct horse battery";

let database: TestDatabase;
let work: string;
let web: WebServer;
let browser: BrowserContext | undefined;
const sockets: Socket[] = [];

interface User {
  id: string;
  cookie: string;
  teamId: string;
}

/** Signs a user up over HTTP from its own local address (one client per user for rate limits). */
async function signUp(name: string, localAddress: string): Promise<User> {
  const email = `${name.toLowerCase()}@example.com`;
  const response = await authPost(
    web.url,
    "/sign-up/email",
    { name, email, password: PASSWORD },
    { localAddress },
  );
  expect(response.status, response.body).toBe(200);
  const id = (JSON.parse(response.body) as { user: { id: string } }).user.id;
  const membership = await database.prisma.membership.findFirstOrThrow({ where: { userId: id } });
  return { id, cookie: cookieOf(response), teamId: membership.teamId };
}

/** A `/browser` socket as a page of `origin` would open it with this cookie. */
function browserSocket(cookie: string, origin = web.url, transport: "websocket" | "polling" = "websocket") {
  const socket = io(`${web.url}${BROWSER_NAMESPACE}`, {
    transports: [transport],
    extraHeaders: { cookie, origin },
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

function agentSocket(token: string): Socket {
  const socket = io(`${web.url}${AGENT_NAMESPACE}`, {
    transports: ["websocket"],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
}

function ask<T = { ok: boolean; code?: string; error?: string }>(
  socket: Socket,
  event: string,
  payload: object,
): Promise<T> {
  return socket.timeout(30_000).emitWithAck(event, payload);
}

/** An agent registered for the team (not connected yet, so nothing known of its host). */
async function registerAgent(teamId: string, createdById: string) {
  const { token, tokenHash, tokenPrefix } = generateAgentToken();
  const agent = await database.prisma.agent.create({
    data: { teamId, name: `agent-${tokenPrefix}`, tokenHash, tokenPrefix, createdById },
  });
  return { agent, token };
}

/** An agent of the team, connected, with a run RUNNING on it (as after a claim). */
async function runningRun(teamId: string, createdById: string) {
  const { agent, token } = await registerAgent(teamId, createdById);
  const run = await database.prisma.run.create({
    data: {
      teamId,
      kind: "INSPECT",
      model: "m",
      sourcePath: "/data/m",
      options: {},
      status: "RUNNING",
      agentId: agent.id,
      createdById,
      startedAt: new Date(),
      leaseExpiresAt: new Date(Date.now() + 600_000),
    },
  });
  const socket = agentSocket(token);
  await connected(socket);
  let seq = 0;
  /** Sends `count` log lines and a progress metric, as the agent does while a job runs. */
  const emitEvents = async (count: number) => {
    const ts = new Date().toISOString();
    const events = [
      ...Array.from({ length: count }, () => ({
        type: "log" as const,
        seq: ++seq,
        ts,
        stream: "STDOUT" as const,
        line: `line ${seq}`,
      })),
      { type: "metric" as const, seq: ++seq, ts, values: { progress: Math.min(1, seq / 1000) } },
    ];
    const ack = await ask(socket, "run:events", { runId: run.id, events });
    expect(ack.ok, ack.error).toBe(true);
  };
  return { run, agent, socket, emitEvents };
}

/** Counts what a browser socket receives of a run and of its team. */
function recorder(socket: Socket) {
  const got = { events: 0, statuses: 0 };
  socket.on(BROWSER_EVENTS.runEvents, (p: { events: unknown[] }) => {
    got.events += p.events.length;
  });
  socket.on(BROWSER_EVENTS.runStatus, () => {
    got.statuses++;
  });
  return got;
}

/** A signed-in browser's socket subscribed to a team and one of its runs, with what it receives. */
async function watchTeamAndRun(user: User, teamId: string, runId: string) {
  const socket = browserSocket(user.cookie);
  await connected(socket);
  const got = recorder(socket);
  expect((await ask(socket, BROWSER_EVENTS.subscribeTeam, { teamId })).ok).toBe(true);
  expect((await ask(socket, BROWSER_EVENTS.subscribeRun, { runId, afterSeq: 0 })).ok).toBe(true);
  return { socket, got };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "fp4kit-security-"));
  ensureAppBuilt(APP_DIR);
  database = await createTestDatabase();
  web = await startWebServer({ databaseUrl: database.connectionString, dataDir: join(work, "data") });
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await browser?.close();
  await web?.process.stop();
  await database?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("HTTP", () => {
  it("sends a nonce-based CSP, frame-ancestors 'none', nosniff and a Referrer-Policy with every response", async () => {
    const page = await httpRequest(`${web.url}/sign-in`);
    expect(page.status).toBe(200);
    const csp = String(page.headers["content-security-policy"]);
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-eval");
    // Every script Next.js rendered carries this response's nonce, so the browser runs it.
    const scripts = page.body.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    // A fresh nonce per response.
    const again = await httpRequest(`${web.url}/sign-in`);
    expect(String(again.headers["content-security-policy"])).not.toContain(`'nonce-${nonce}'`);

    for (const response of [page, await httpRequest(`${web.url}/api/auth/get-session`)]) {
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.headers["x-frame-options"]).toBe("DENY");
      expect(response.headers["referrer-policy"]).toBe("same-origin");
      expect(response.headers["content-security-policy"]).toBeTruthy();
    }
    // Plain http: no HSTS and no Secure cookie attribute (they are for https sites).
    expect(page.headers["strict-transport-security"]).toBeUndefined();
  });

  it("limits sign-in attempts per client address, whatever X-Forwarded-For says", async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const response = await authPost(
        web.url,
        "/sign-in/email",
        { email: "nobody@example.com", password: `wrong-password-${i}` },
        { localAddress: "127.0.0.10", headers: { "x-forwarded-for": `198.51.100.${i}` } },
      );
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429, 429, 429, 429]);
    // Another client (another socket address) is not held back by the first one's failures.
    const other = await authPost(
      web.url,
      "/sign-in/email",
      { email: "nobody@example.com", password: "wrong-password" },
      { localAddress: "127.0.0.11", headers: { "x-forwarded-for": "198.51.100.1" } },
    );
    expect(other.status).toBe(401);
  });

  it("refuses auth requests that carry the session cookie from pages of other sites", async () => {
    const user = await signUp("Cyril", "127.0.0.12");
    const forged = await authPost(
      web.url,
      "/sign-out",
      {},
      { cookie: user.cookie, origin: "https://evil.example" },
    );
    expect(forged.status).toBe(403);
    const session = await httpRequest(`${web.url}/api/auth/get-session`, {
      headers: { cookie: user.cookie },
    });
    expect(JSON.parse(session.body)).toMatchObject({ user: { id: user.id } });
  });

  it("refuses a path with a NUL byte with a 400 naming the field, before the database", async () => {
    const owner = await signUp("Nora", "127.0.0.20");
    const before = await database.prisma.run.count();
    const cases: [string, object][] = [
      ["sourcePath", { kind: "INSPECT", sourcePath: "/data/model\u0000.json", destPath: null, options: {} }],
      ["destPath", { kind: "CONVERT", sourcePath: "/data/model", destPath: "/data/out\u0000", options: {} }],
      [
        "calibrationFile",
        {
          kind: "CONVERT",
          sourcePath: "/data/model",
          destPath: "/data/out",
          options: { format: "modelopt", calibrationFile: "/data/scales\u0000.json" },
        },
      ],
      [
        "dataset",
        {
          kind: "CALIBRATE",
          sourcePath: "/data/model",
          destPath: "/data/out",
          options: { dataset: "/data/ds\u0000" },
        },
      ],
      [
        "referencePath",
        { kind: "VERIFY", sourcePath: "/data/model", destPath: null, options: { referencePath: "/\u0000" } },
      ],
    ];
    for (const [field, spec] of cases) {
      const response = await trpcMutation(
        web.url,
        "runs.create",
        { teamId: owner.teamId, spec: { agentId: null, ...spec } },
        owner.cookie,
      );
      expect(response.status, `${field}: ${response.body}`).toBe(400);
      const error = (JSON.parse(response.body) as { error: { json: { message: string } } }).error.json;
      expect(error.message).toContain(`"${field}"`);
      expect(error.message).toMatch(/NUL byte|absolute path inside the agent's data roots/);
      expect(response.body).not.toMatch(/prisma|invalid byte sequence|postgres/i);
    }
    expect(await database.prisma.run.count()).toBe(before);
  });
});

describe("the HTTP API", () => {
  it("acts with a token's holder's current role, and not at all once they left the team", async () => {
    const owner = await signUp("Tess", "127.0.0.32");
    const holder = await signUp("Theo", "127.0.0.33");
    await database.prisma.membership.create({
      data: { teamId: owner.teamId, userId: holder.id, role: "MEMBER" },
    });
    const created = await trpcMutation(
      web.url,
      "apiTokens.create",
      { teamId: owner.teamId, name: "laptop" },
      holder.cookie,
    );
    expect(created.status, created.body).toBe(200);
    const token = (JSON.parse(created.body) as { result: { data: { json: { token: string } } } }).result.data
      .json.token;
    const api = (path: string, body?: object) =>
      httpRequest(`${web.url}/api/v1${path}`, {
        method: body ? "POST" : "GET",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
    const queue = () =>
      api("/runs", {
        agentId: null,
        kind: "INSPECT",
        sourcePath: "/data/model",
        destPath: null,
        options: {},
      });
    const roleNow = async () => (JSON.parse((await api("/me")).body) as { role?: string }).role;

    expect(await roleNow()).toBe("MEMBER");
    // Runs are queued only while an agent that may run them is online.
    const agent = await seedAgent(
      { baseUrl: web.url, database },
      { teamId: owner.teamId, createdById: owner.id, name: "data-host", roots: ["/data"] },
    );
    try {
      expect((await queue()).status).toBe(201);
    } finally {
      agent.disconnect();
    }

    const demoted = await trpcMutation(
      web.url,
      "teams.changeMemberRole",
      { teamId: owner.teamId, userId: holder.id, role: "VIEWER" },
      owner.cookie,
    );
    expect(demoted.status, demoted.body).toBe(200);
    expect(await roleNow()).toBe("VIEWER");
    expect((await queue()).status).toBe(403);

    const removed = await trpcMutation(
      web.url,
      "teams.removeMember",
      { teamId: owner.teamId, userId: holder.id },
      owner.cookie,
    );
    expect(removed.status, removed.body).toBe(200);
    for (const response of [await api("/me"), await api("/runs"), await queue()]) {
      expect(response.status, response.body).toBe(403);
    }
    // Only its SHA-256 is stored.
    const stored = await database.prisma.apiToken.findFirstOrThrow({ where: { userId: holder.id } });
    expect(stored.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
  });
});

describe("the browser", () => {
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  /** Signs in through the form of /sign-in?next=..., then waits until the page left it. */
  async function signInWithNext(next: string, email: string) {
    await page.context().clearCookies();
    await page.goto(`${web.url}/sign-in?next=${next}`);
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
    return new URL(page.url());
  }

  let teamPath = "";

  it("runs the pages under the CSP and never follows ?next= to another site", async () => {
    await page.goto(`${web.url}/sign-up`);
    await page.fill("#name", "Bea");
    await page.fill("#email", "bea@example.com");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/t\/[^/]+\/runs$/);
    const runsPath = new URL(page.url()).pathname;
    teamPath = runsPath.replace(/\/runs$/, "");
    // Hydrated and live under the CSP: the socket.io connection subscribed to the team.
    await page.getByRole("link", { name: "Agents" }).click();
    await page.waitForURL(/\/agents$/);

    for (const next of ["/%5Cexample.org/phish", "/%09/example.org"]) {
      const landed = await signInWithNext(next, "bea@example.com");
      expect(landed.origin, `?next=${next}`).toBe(new URL(web.url).origin);
    }
    // A path of the site is still followed.
    const landed = await signInWithNext(encodeURIComponent(`${runsPath}?status=RUNNING`), "bea@example.com");
    expect(`${landed.pathname}${landed.search}`).toBe(`${runsPath}?status=RUNNING`);
    expect(cspViolations).toEqual([]);
  });

  it("lets a run trust the checkpoint's own code only when its box is ticked, with a warning", async () => {
    /** Queues a calibration through the form; the stored run's options. */
    const queueCalibration = async (tick: boolean) => {
      await page.goto(`${web.url}${teamPath}/runs/new?kind=CALIBRATE`);
      await page.fill("#sourcePath", "/data/DeepSeek-V3-FP8");
      await page.fill("#destPath", `/data/DeepSeek-V3-NVFP4-${tick ? "trusting" : "plain"}`);
      const box = page.locator("#trustRemoteCode");
      expect(await box.isChecked()).toBe(false);
      await expect
        .poll(() => page.getByTestId("trust-remote-code-warning").textContent())
        .toMatch(/Runs the Python files inside the checkpoint folder on the agent's host/);
      if (tick) await box.check();
      await page.getByRole("button", { name: "Queue run" }).click();
      await page.waitForURL(/\/runs\/(?!new$)[^/?#]+$/);
      const runId = new URL(page.url()).pathname.split("/").at(-1) as string;
      const run = await database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
      return run.options as { trustRemoteCode?: boolean };
    };
    const bea = await database.prisma.user.findUniqueOrThrow({
      where: { email: "bea@example.com" },
      include: { memberships: true },
    });
    const agent = await seedAgent(
      { baseUrl: web.url, database },
      {
        teamId: bea.memberships[0]?.teamId as string,
        createdById: bea.id,
        name: "data-host",
        roots: ["/data"],
      },
    );
    try {
      expect((await queueCalibration(false)).trustRemoteCode).toBe(false);
      expect((await queueCalibration(true)).trustRemoteCode).toBe(true);
    } finally {
      agent.disconnect();
    }
    expect(cspViolations).toEqual([]);
  });
});

describe("socket.io", () => {
  it("refuses handshakes from pages of other sites, on both transports", async () => {
    const user = await signUp("Olive", "127.0.0.21");
    for (const transport of ["websocket", "polling"] as const) {
      const foreign = browserSocket(user.cookie, "https://evil.example", transport);
      await expect(connected(foreign), transport).rejects.toThrow();
      const own = browserSocket(user.cookie, web.url, transport);
      await connected(own);
      own.disconnect();
    }
  });

  it("tells an agent nothing about runs it was not given: the same refusal as for no run at all", async () => {
    const owner = await signUp("Owen", "127.0.0.22");
    const outsider = await signUp("Otto", "127.0.0.23");
    const { run } = await runningRun(owner.teamId, owner.id);
    const foreign = await runningRun(outsider.teamId, outsider.id);
    const ts = new Date().toISOString();
    const attempts = (runId: string) => [
      ask(foreign.socket, "run:events", {
        runId,
        events: [{ type: "log", seq: 1, ts, stream: "STDOUT", line: "x" }],
      }),
      ask(foreign.socket, "run:artifact", { runId, kind: "INSPECT_REPORT", json: {}, markdown: null }),
      ask(foreign.socket, "run:finish", {
        runId,
        status: "FAILED",
        error: "x",
        inputBytes: null,
        outputBytes: null,
        summary: null,
      }),
    ];
    const forOtherTeam = await Promise.all(attempts(run.id));
    const forNothing = await Promise.all(attempts("no-such-run"));
    for (const [i, ack] of forOtherTeam.entries()) {
      expect(ack).toEqual({
        ok: false,
        code: "NOT_HELD",
        error: `run ${run.id} is not leased to this agent`,
      });
      expect(forNothing[i]).toEqual({
        ok: false,
        code: "NOT_HELD",
        error: "run no-such-run is not leased to this agent",
      });
    }
    const untouched = await database.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(untouched.status).toBe("RUNNING");
  });

  it("stops a removed member's open socket from receiving the team's runs at once", async () => {
    const owner = await signUp("Rita", "127.0.0.24");
    const member = await signUp("Remy", "127.0.0.25");
    await database.prisma.membership.create({
      data: { teamId: owner.teamId, userId: member.id, role: "MEMBER" },
    });
    const { run, emitEvents } = await runningRun(owner.teamId, owner.id);

    const { got: ownerGot } = await watchTeamAndRun(owner, owner.teamId, run.id);
    const { got: memberGot } = await watchTeamAndRun(member, owner.teamId, run.id);

    await emitEvents(5);
    await expect.poll(() => memberGot.events).toBe(6);
    await expect.poll(() => memberGot.statuses).toBeGreaterThan(0);

    const removed = await trpcMutation(
      web.url,
      "teams.removeMember",
      { teamId: owner.teamId, userId: member.id },
      owner.cookie,
    );
    expect(removed.status, removed.body).toBe(200);
    const seen = { ...memberGot };
    for (let i = 0; i < 5; i++) await emitEvents(10);
    await expect.poll(() => ownerGot.events).toBe(6 + 5 * 11);
    await sleep(500);
    expect(memberGot).toEqual(seen);
  });

  it("disconnects the sockets of a session when it signs out", async () => {
    const user = await signUp("Sam", "127.0.0.26");
    const other = await authPost(
      web.url,
      "/sign-in/email",
      { email: "sam@example.com", password: PASSWORD },
      { localAddress: "127.0.0.26" },
    );
    const signedOut = browserSocket(user.cookie);
    const stillIn = browserSocket(cookieOf(other));
    await Promise.all([connected(signedOut), connected(stillIn)]);
    const reason = new Promise<string>((resolve) => signedOut.once("disconnect", resolve));
    const response = await authPost(
      web.url,
      "/sign-out",
      {},
      { cookie: user.cookie, localAddress: "127.0.0.26" },
    );
    expect(response.status, response.body).toBe(200);
    expect(await reason).toBe("io server disconnect");
    // Only that session's sockets: the user's other session keeps its own.
    await sleep(300);
    expect(stillIn.connected).toBe(true);
    // And it cannot come back with the ended session.
    await expect(connected(browserSocket(user.cookie))).rejects.toThrow(/not signed in/);
  });

  it("checks every open socket again within 30 s: an expired session is disconnected, a membership deleted in the database ends its updates", async () => {
    const owner = await signUp("Ida", "127.0.0.28");
    const member = await signUp("Ike", "127.0.0.29");
    const expiring = await signUp("Ezra", "127.0.0.31");
    await database.prisma.membership.create({
      data: { teamId: owner.teamId, userId: member.id, role: "MEMBER" },
    });
    const { run, emitEvents } = await runningRun(owner.teamId, owner.id);
    const ownerView = await watchTeamAndRun(owner, owner.teamId, run.id);
    const memberView = await watchTeamAndRun(member, owner.teamId, run.id);
    const expiringSocket = browserSocket(expiring.cookie);
    await connected(expiringSocket);

    // Changed behind the server's back: the session lapses, the membership row goes (another
    // instance, an operator's script). No call tells this instance; only its periodic check can.
    const reason = new Promise<string>((resolve) => expiringSocket.once("disconnect", resolve));
    const changedAt = Date.now();
    await database.prisma.session.updateMany({
      where: { userId: expiring.id },
      data: { expiresAt: new Date(changedAt - 1_000) },
    });
    await database.prisma.membership.deleteMany({ where: { teamId: owner.teamId, userId: member.id } });
    expect(await reason).toBe("io server disconnect");
    const seconds = (Date.now() - changedAt) / 1000;
    console.info(`an expired session's socket was disconnected ${seconds.toFixed(1)} s after it lapsed`);
    // One period (30 s) and the pass that found it, with room for a loaded machine.
    expect(seconds).toBeLessThan(40);

    // The same pass ended the removed member's updates; the socket itself stays (still signed in).
    await sleep(1_000);
    const seen = { ...memberView.got };
    await emitEvents(10);
    await expect.poll(() => ownerView.got.events).toBe(11);
    await sleep(500);
    expect(memberView.got).toEqual(seen);
    expect(memberView.socket.connected).toBe(true);
  });

  it("bounds what subscribers that stop reading cost the server, then lets them resume where they were", async () => {
    const owner = await signUp("Vera", "127.0.0.27");
    const { run } = await runningRun(owner.teamId, owner.id);
    const lines = 500_000;
    // A long log, stored as the agent would have stored it (about 100 bytes a line).
    await database.prisma.$executeRaw`
      INSERT INTO run_log_line ("runId", seq, ts, stream, line)
      SELECT ${run.id}, s, now(), 'STDOUT', 'step ' || s || ': ' || repeat('x', 90)
      FROM generate_series(1, ${lines}::int) AS s`;

    const pid = web.process.child.pid as number;
    const baseline = await residentBytes(pid);
    // Three viewers that subscribe and then stop reading their sockets.
    const readers = await Promise.all(
      [0, 1, 2].map(async () => {
        const socket = browserSocket(owner.cookie);
        await connected(socket);
        const tcp = (
          socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }
        ).ws._socket;
        let lastSeq = 0;
        let outOfOrder = 0;
        let dropped: { runId: string; lastSeq: number } | null = null;
        socket.on(BROWSER_EVENTS.runEvents, (p: { events: { seq: number }[] }) => {
          for (const event of p.events) {
            if (event.seq !== lastSeq + 1) outOfOrder++;
            lastSeq = event.seq;
          }
        });
        socket.on(BROWSER_EVENTS.runDropped, (p: { runId: string; lastSeq: number }) => {
          dropped = p;
        });
        socket.emit(BROWSER_EVENTS.subscribeRun, { runId: run.id, afterSeq: 0 }, () => {});
        tcp.pause();
        return { socket, tcp, lastSeq: () => lastSeq, outOfOrder: () => outOfOrder, dropped: () => dropped };
      }),
    );
    // While they do not read, the server's memory stays near where it was.
    let peak = baseline;
    for (let t = 0; t < 20; t++) {
      await sleep(1_000);
      peak = Math.max(peak, await residentBytes(pid));
    }
    const growthMb = (peak - baseline) / 2 ** 20;
    console.info(`three viewers not reading ${lines} lines: server RSS +${growthMb.toFixed(0)} MB at most`);
    expect(growthMb, `server RSS grew by ${growthMb.toFixed(0)} MB`).toBeLessThan(150);

    // A reader that comes back gets what was queued, the drop notice, and resumes from its last seq.
    const reader = readers[0] as (typeof readers)[number];
    reader.tcp.resume();
    await expect.poll(reader.dropped, { timeout: 60_000 }).not.toBeNull();
    expect(reader.dropped()?.lastSeq).toBe(reader.lastSeq());
    expect(reader.lastSeq()).toBeLessThan(lines);
    const resumed = await reader.socket
      .timeout(180_000)
      .emitWithAck(BROWSER_EVENTS.subscribeRun, { runId: run.id, afterSeq: reader.lastSeq() });
    expect(resumed.ok).toBe(true);
    expect(reader.lastSeq()).toBe(lines);
    expect(reader.outOfOrder()).toBe(0);
    for (const r of readers) r.socket.disconnect();
  });
});

describe("behind an HTTPS proxy (TRUST_PROXY)", () => {
  let proxied: WebServer;
  const site = "https://fp4kit.example";

  beforeAll(async () => {
    proxied = await startWebServer({
      databaseUrl: database.connectionString,
      dataDir: join(work, "data-proxied"),
      siteUrl: site,
      env: { TRUST_PROXY: "loopback" },
    });
  });
  afterAll(() => proxied?.process.stop());

  const signIn = (forwardedFor: string): Promise<HttpResponse> =>
    authPost(
      proxied.url,
      "/sign-in/email",
      { email: "nobody@example.com", password: "wrong-password" },
      { origin: site, headers: { "x-forwarded-for": forwardedFor, "x-forwarded-proto": "https" } },
    );

  it("marks the session cookie Secure and sends HSTS", async () => {
    const response = await authPost(
      proxied.url,
      "/sign-up/email",
      { name: "Hugo", email: "hugo@example.com", password: PASSWORD },
      { origin: site, headers: { "x-forwarded-for": "203.0.113.50" } },
    );
    expect(response.status, response.body).toBe(200);
    const session = (response.headers["set-cookie"] ?? []).find((c) => c.includes("session_token="));
    expect(session).toMatch(/^__Secure-better-auth\.session_token=/);
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(response.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(String(response.headers["content-security-policy"])).toContain("upgrade-insecure-requests");
  });

  it("keys rate limits on the client the trusted proxy names", async () => {
    const first = [];
    for (let i = 0; i < 4; i++) first.push((await signIn("203.0.113.7")).status);
    expect(first).toEqual([401, 401, 401, 429]);
    // A different client behind the same proxy has its own allowance.
    expect((await signIn("203.0.113.8")).status).toBe(401);
    // A client cannot pose as another by prefixing the header: the proxy appends the real one.
    expect((await signIn("203.0.113.9, 203.0.113.7")).status).toBe(429);
  });

  it("counts a client's attempts across web instances sharing the database", async () => {
    const direct = () =>
      authPost(
        web.url,
        "/sign-in/email",
        { email: "nobody@example.com", password: "wrong-password" },
        { localAddress: "127.0.0.30" },
      );
    expect((await direct()).status).toBe(401);
    expect((await direct()).status).toBe(401);
    // The same client through the proxy in front of the other instance.
    expect((await signIn("127.0.0.30")).status).toBe(401);
    expect((await direct()).status).toBe(429);
  });
});
