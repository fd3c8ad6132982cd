/**
 * Leases against the real server process, Postgres, agent and job subprocesses: a run's lease
 * covers its upload as well as its job, a finish whose outcome the agent knows survives a lapsed
 * lease, and a server outage longer than a lease loses no healthy run.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { RunStatus } from "@fp4kit/db";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { finishRun } from "@fp4kit/web/server/queue";
import type { RealtimeTiming } from "@fp4kit/web/server/realtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { createTenant, queueRun, type Tenant } from "./support/fixtures.ts";
import { type ServerProcess, startServerProcess } from "./support/servers.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.ts";
import { waitFor } from "./support/wait.ts";

const BURST = fileURLToPath(new URL("./fixtures/burst.py", import.meta.url));
const CHATTY = fileURLToPath(new URL("./fixtures/chatty.py", import.meta.url));

/** A lease of 3 s renewed every second, swept four times a second, 6 s of grace after a start. */
const TIMING: Partial<RealtimeTiming> = {
  heartbeatSeconds: 1,
  leaseSeconds: 3,
  offlineAfterSeconds: 4,
  sweepIntervalMs: 250,
  leaseGraceSeconds: 6,
};
const LEASE_MS = (TIMING.leaseSeconds as number) * 1_000;

describe("leases", () => {
  let db: TestDatabase;
  let tmp: string;
  let root: string;
  let server: ServerProcess;
  const proxies: TcpProxy[] = [];
  const agents: AgentProcess[] = [];
  let closing = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-lease-"));
    root = join(tmp, "data");
    mkdirSync(join(root, "model"), { recursive: true });
    server = await startServerProcess(db.connectionString, 0, TIMING);
    // Past the grace period of the server's start: its sweeper expires leases from now on.
    await sleep((TIMING.leaseGraceSeconds as number) * 1_000);
  });

  afterAll(async () => {
    closing = true;
    for (const agent of agents) await agent.kill();
    await server?.kill();
    for (const proxy of proxies) await proxy.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** An agent of its own team behind a proxy, running `script` as its verify job. */
  async function setUp(name: string, script: string, proxyOptions: { latencyMs?: number } = {}) {
    const tenant = await createTenant(db.prisma, name);
    const proxy = await startTcpProxy(() => server.port, proxyOptions);
    proxies.push(proxy);
    const agent = startAgentProcess(join(tmp, name), {
      server: proxy.url,
      token: tenant.token,
      roots: [root],
      scripts: { verify: script },
    });
    agents.push(agent);
    return { tenant, proxy, agent };
  }

  /** Every status the run goes through, sampled every 50 ms until it ends (or the tests do). */
  function watchStatuses(runId: string): { seen: RunStatus[]; ended: Promise<RunStatus | "closed"> } {
    const seen: RunStatus[] = [];
    const ended = (async () => {
      while (!closing) {
        const { status } = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        if (seen.at(-1) !== status) seen.push(status);
        if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(status)) return status;
        await sleep(50);
      }
      return "closed" as const;
    })();
    return { seen, ended };
  }

  const queueVerify = (tenant: Tenant) =>
    queueRun(db.prisma, tenant, { kind: "VERIFY", sourcePath: join(root, "model"), options: {} });

  const storedStdout = (runId: string) => db.prisma.runLogLine.count({ where: { runId, stream: "STDOUT" } });

  it("keeps renewing while a log drains after the job exited: the run ends SUCCEEDED, never LOST", async () => {
    // 60 ms each way: 40 batches of 500 lines take several leases to upload.
    const { tenant, agent } = await setUp("drain", BURST, { latencyMs: 60 });
    const run = await queueVerify(tenant);
    const statuses = watchStatuses(run.id);

    const ended = await Promise.race([statuses.ended, sleep(120_000, "timeout")]);
    expect(ended, agent.output()).toBe("SUCCEEDED");
    expect(statuses.seen).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    expect(await storedStdout(run.id)).toBe(20_000);
    // The upload did outlast the lease: the job's last line is far older than the run's end.
    const jobEnd = await db.prisma.runLogLine.findFirstOrThrow({
      where: { runId: run.id, stream: "SYSTEM", line: "verify succeeded" },
    });
    const { finishedAt } = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect((finishedAt as Date).getTime() - jobEnd.ts.getTime()).toBeGreaterThan(LEASE_MS);
  });

  it("accepts the known outcome after the lease lapsed during a network cut", async () => {
    const { tenant, proxy, agent } = await setUp("cut", BURST, { latencyMs: 60 });
    const run = await queueVerify(tenant);
    const statuses = watchStatuses(run.id);

    await waitFor("the first lines in Postgres", async () => (await storedStdout(run.id)) > 0, 60_000);
    proxy.cut(LEASE_MS + 3_000);
    await waitFor("the sweeper to mark the run LOST", () => statuses.seen.includes("LOST"), LEASE_MS + 3_000);

    const ended = await Promise.race([statuses.ended, sleep(120_000, "timeout")]);
    expect(ended, agent.output()).toBe("SUCCEEDED");
    expect(statuses.seen).toEqual(["QUEUED", "RUNNING", "LOST", "SUCCEEDED"]);
    const finished = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(finished).toMatchObject({ error: null, progress: 1 });
    expect(await storedStdout(run.id)).toBe(20_000);
  });

  it("refuses a late finish once a retry of the run runs or succeeded", async () => {
    const first = await createTenant(db.prisma, "retried");
    const run = await queueRun(db.prisma, first, { kind: "VERIFY", sourcePath: join(root, "model") });
    await db.prisma.run.update({ where: { id: run.id }, data: { status: "LOST", agentId: first.agentId } });
    const retry = await queueRun(db.prisma, first, { kind: "VERIFY", sourcePath: join(root, "model") });
    await db.prisma.run.update({
      where: { id: retry.id },
      data: { status: "RUNNING", retryOfId: run.id, attempt: 2 },
    });
    const finish = {
      runId: run.id,
      agentId: first.agentId,
      status: "SUCCEEDED" as const,
      error: null,
      inputBytes: null,
      outputBytes: null,
      summary: null,
    };
    await expect(finishRun(db.prisma, finish)).rejects.toMatchObject({ code: "NOT_HELD" });

    // A retry that is only queued does not hold the work: the known outcome is recorded.
    await db.prisma.run.update({ where: { id: retry.id }, data: { status: "QUEUED" } });
    await expect(finishRun(db.prisma, finish)).resolves.toMatchObject({ status: "SUCCEEDED" });
    // Another agent may not finish a run it never held.
    const other = await createTenant(db.prisma, "stranger");
    await expect(finishRun(db.prisma, { ...finish, agentId: other.agentId })).rejects.toMatchObject({
      code: "NOT_HELD",
    });
  });

  it("survives a server outage longer than the lease: agents come back at once and renew", async () => {
    const { tenant, agent } = await setUp("outage", CHATTY);
    const run = await queueVerify(tenant);
    const statuses = watchStatuses(run.id);

    await waitFor("the first lines in Postgres", async () => (await storedStdout(run.id)) >= 20, 60_000);
    await server.kill();
    await sleep(LEASE_MS * 2);
    server = await startServerProcess(db.connectionString, server.port, TIMING);
    const restartedAt = Date.now();
    const reconnected = await waitFor(
      "the agent to reconnect",
      async () => {
        const { connectedAt } = await db.prisma.agent.findUniqueOrThrow({ where: { id: tenant.agentId } });
        return connectedAt && connectedAt.getTime() >= restartedAt ? connectedAt : undefined;
      },
      10_000,
    );
    // The agent retries every 2 s ± 50% while the server is down.
    expect(reconnected.getTime() - restartedAt).toBeLessThan(4_000);

    const ended = await Promise.race([statuses.ended, sleep(120_000, "timeout")]);
    expect(ended, agent.output()).toBe("SUCCEEDED");
    expect(statuses.seen).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    expect(await storedStdout(run.id)).toBe(600);
  });
});
