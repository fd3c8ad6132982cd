import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { BROWSER_EVENTS, BrowserRunEventsSchema, type RunEvent } from "@fp4kit/protocol";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { readSpooledEvents, readStoredEvents } from "./support/events.ts";
import { createTenant, queueRun, type Tenant } from "./support/fixtures.ts";
import { type ServerProcess, startServerProcess } from "./support/servers.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.ts";
import { waitFor } from "./support/wait.ts";

const CHATTY = fileURLToPath(new URL("./fixtures/chatty.py", import.meta.url));

describe("a network cut and a server restart in the middle of a run", () => {
  let db: TestDatabase;
  let tenant: Tenant;
  let tmp: string;
  let server: ServerProcess;
  let proxy: TcpProxy;
  let agent: AgentProcess | undefined;
  let browser: Socket | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await createTenant(db.prisma);
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-reconnect-"));
    server = await startServerProcess(db.connectionString);
    proxy = await startTcpProxy(() => server.port);
  });

  afterAll(async () => {
    browser?.close();
    await agent?.kill();
    await server?.kill();
    await proxy?.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("stores every spooled line exactly once, and a watching browser sees each once, in order", async () => {
    const root = join(tmp, "data");
    mkdirSync(join(root, "model"), { recursive: true });
    const run = await queueRun(db.prisma, tenant, {
      kind: "VERIFY",
      sourcePath: join(root, "model"),
      options: { generateTokens: 0 },
    });
    agent = startAgentProcess(join(tmp, "agent"), {
      server: proxy.url,
      token: tenant.token,
      roots: [root],
      scripts: { verify: CHATTY },
    });

    // A browser watching the run live, resubscribing after each reconnect from the last seq it got.
    const received: RunEvent[] = [];
    browser = io(`${proxy.url}/browser`, {
      transports: ["websocket"],
      extraHeaders: { "x-test-user": tenant.userId },
    });
    browser.on(BROWSER_EVENTS.runEvents, (payload: unknown) =>
      received.push(...BrowserRunEventsSchema.parse(payload).events),
    );
    browser.on("connect", () => {
      void browser?.emitWithAck(BROWSER_EVENTS.subscribeRun, {
        runId: run.id,
        afterSeq: received.at(-1)?.seq ?? 0,
      });
    });

    const stored = () => db.prisma.runLogLine.count({ where: { runId: run.id } });
    await waitFor("the first lines in Postgres", async () => (await stored()) >= 50, 30_000);
    proxy.cut(3_000);
    await sleep(3_000);
    await waitFor("lines after the cut", async () => (await stored()) >= 250, 30_000);
    await server.kill();
    await sleep(2_000);
    server = await startServerProcess(db.connectionString, server.port);

    const finished = await waitFor(
      "the run to succeed",
      async () => {
        const r = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
        return r.status === "SUCCEEDED" ? r : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${agent?.output()}`);
    });
    expect(finished.progress).toBe(1);

    const spooled = await waitFor("the agent to move the run to done/", () => {
      try {
        return readSpooledEvents(join(tmp, "agent", "spool"), run.id);
      } catch {
        return undefined;
      }
    });
    const inDatabase = await readStoredEvents(db.prisma, run.id);
    // The script printed 600 lines and 85 stderr lines; the agent added its own SYSTEM lines.
    expect(spooled.filter((e) => e.type === "log" && e.stream === "STDOUT")).toHaveLength(600);
    expect(inDatabase).toEqual(spooled);
    expect(inDatabase.map((e) => e.seq)).toEqual(spooled.map((_, i) => i + 1));

    await waitFor("the browser to catch up", () => received.length >= spooled.length, 20_000);
    expect(received.map((e) => e.seq)).toEqual(spooled.map((e) => e.seq));
    expect(received).toEqual(spooled);
  });
});
