/**
 * How fast a lost agent shows, with the server's production clocks, against the real server
 * process, Postgres, agent and job: a killed agent (its socket closes) is offline at once, a frozen
 * one (socket open, no heartbeats) within the stated 15 s, and its running run says so.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { type AgentStatusUpdate, AgentStatusUpdateSchema, BROWSER_EVENTS } from "@fp4kit/protocol";
import { findTeamRun } from "@fp4kit/web/server/runs";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { createTenant, queueRun, type Tenant } from "./support/fixtures.ts";
import { type ServerProcess, startServerProcess } from "./support/servers.ts";
import { waitFor } from "./support/wait.ts";

const STEADY = fileURLToPath(new URL("./fixtures/steady.py", import.meta.url));
/** The bound the web app states for an agent that went silent without closing its socket. */
const SILENT_AGENT_BOUND_MS = 15_000;

describe("a lost agent, seen from its running run", () => {
  let db: TestDatabase;
  let tmp: string;
  let root: string;
  let server: ServerProcess;
  const agents: AgentProcess[] = [];
  const browsers: Socket[] = [];
  const spools: { dir: string; runId: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-presence-"));
    root = join(tmp, "data");
    mkdirSync(join(root, "model"), { recursive: true });
    // No timing given: the defaults production runs with.
    server = await startServerProcess(db.connectionString, 0, {});
  });

  afterAll(async () => {
    for (const browser of browsers) browser.close();
    for (const agent of agents) {
      agent.child.kill("SIGCONT");
      await agent.kill();
    }
    // The agents were killed: their jobs' process groups are left for the next agent; end them.
    for (const { dir, runId } of spools) {
      const file = join(dir, "runs", runId, "process.json");
      if (!existsSync(file)) continue;
      try {
        process.kill(-(JSON.parse(readFileSync(file, "utf8")) as { pgid: number }).pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await server?.kill();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** An agent running a long job, and a browser watching its team. */
  async function runningJob(name: string) {
    const tenant = await createTenant(db.prisma, name);
    const spoolDir = join(tmp, name, "spool");
    const agent = startAgentProcess(join(tmp, name), {
      server: `http://127.0.0.1:${server.port}`,
      token: tenant.token,
      roots: [root],
      scripts: { verify: STEADY },
    });
    agents.push(agent);
    const run = await queueRun(db.prisma, tenant, { kind: "VERIFY", sourcePath: join(root, "model") });
    spools.push({ dir: spoolDir, runId: run.id });
    await waitFor(
      "the job's first lines",
      async () => (await db.prisma.runLogLine.count({ where: { runId: run.id, stream: "STDOUT" } })) > 0,
      60_000,
    );
    const statuses = await watchTeam(tenant);
    return { tenant, agent, run, statuses };
  }

  async function watchTeam(tenant: Tenant): Promise<AgentStatusUpdate[]> {
    const received: AgentStatusUpdate[] = [];
    const browser = io(`http://127.0.0.1:${server.port}/browser`, {
      transports: ["websocket"],
      extraHeaders: { "x-test-user": tenant.userId },
    });
    browsers.push(browser);
    browser.on(BROWSER_EVENTS.agentStatus, (payload: unknown) =>
      received.push(AgentStatusUpdateSchema.parse(payload)),
    );
    await browser.timeout(10_000).emitWithAck(BROWSER_EVENTS.subscribeTeam, { teamId: tenant.teamId });
    return received;
  }

  const runView = (tenant: Tenant, runId: string) => findTeamRun(db.prisma, { teamId: tenant.teamId, runId });

  it("shows a killed agent offline on its run at once (its socket closed)", async () => {
    const { tenant, agent, run, statuses } = await runningJob("killed");
    expect((await runView(tenant, run.id)).agent).toMatchObject({ online: true });

    const killedAt = Date.now();
    await agent.kill("SIGKILL");
    const view = await waitFor(
      "the run to show its agent offline",
      async () => {
        const v = await runView(tenant, run.id);
        return v.agent?.online === false ? v : undefined;
      },
      SILENT_AGENT_BOUND_MS,
    );
    expect(Date.now() - killedAt).toBeLessThan(3_000);
    expect(view.status).toBe("RUNNING");
    expect(view.agent?.lastSeenAt?.getTime()).toBeLessThanOrEqual(Date.now());
    await waitFor("the browser to hear of it", () =>
      statuses.some((s) => s.agentId === tenant.agentId && !s.online),
    );
  });

  it("shows a frozen agent offline within 15 s (socket open, heartbeats missed), and back when it resumes", async () => {
    const { tenant, agent, run, statuses } = await runningJob("frozen");

    const frozenAt = Date.now();
    agent.child.kill("SIGSTOP");
    await waitFor(
      "the run to show its agent offline",
      async () => ((await runView(tenant, run.id)).agent?.online === false ? true : undefined),
      SILENT_AGENT_BOUND_MS + 5_000,
    );
    const detectedMs = Date.now() - frozenAt;
    expect(detectedMs).toBeLessThanOrEqual(SILENT_AGENT_BOUND_MS);
    expect(statuses.some((s) => s.agentId === tenant.agentId && !s.online)).toBe(true);

    agent.child.kill("SIGCONT");
    await waitFor(
      "the run to show its agent online again",
      async () => ((await runView(tenant, run.id)).agent?.online ? true : undefined),
      SILENT_AGENT_BOUND_MS,
    );
    expect((await runView(tenant, run.id)).status).toBe("RUNNING");
    expect(statuses.at(-1)).toMatchObject({ agentId: tenant.agentId, online: true });
  });
});
