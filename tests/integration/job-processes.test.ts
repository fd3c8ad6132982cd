/**
 * Cancel and finish always complete, also for processes that leave the job's process group: the
 * real agent runs a script whose children start sessions of their own, ignore SIGINT/SIGTERM and
 * hold its output open. With the environment marker alone, and with a cgroup v2 where this host
 * allows the agent one (which also catches a child with a cleared environment).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jobCgroupsAvailable } from "@fp4kit/agent";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { createTenant, queueRun } from "./support/fixtures.ts";
import { isAlive } from "./support/processes.ts";
import { type InProcessServer, startInProcessServer } from "./support/servers.ts";
import { waitFor } from "./support/wait.ts";

const ESCAPING_TREE = fileURLToPath(new URL("./fixtures/escaping_tree.py", import.meta.url));
const GRACE = { interruptMs: 800, terminateMs: 800 };
/** The agent's grace for what a script leaves behind (SIGINT, SIGTERM: 2 s each) and its output drain. */
const LEFTOVER_BOUND_MS = 2_000 + 2_000 + 2_000;

const MODES = [
  { name: "environment marker", jobCgroups: false, source: "model", available: true },
  { name: "cgroup v2", jobCgroups: true, source: "clean-env", available: jobCgroupsAvailable() },
] as const;

describe.each(MODES)("job processes tracked by $name", ({ jobCgroups, source, available }) => {
  let db: TestDatabase;
  let tmp: string;
  let server: InProcessServer;
  const agents: AgentProcess[] = [];
  const pids: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-job-processes-"));
    server = await startInProcessServer(db.prisma, db.connectionString);
  });

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    for (const pid of pids.filter(isAlive)) process.kill(pid, "SIGKILL");
    await server?.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Queues the script, waits for it to report its escaped children, and returns them. */
  async function startScript(generateTokens: number, agentName = `agent-${generateTokens}`) {
    const root = join(tmp, "data");
    mkdirSync(join(root, source), { recursive: true });
    const tenant = await createTenant(db.prisma, `user-${generateTokens}`);
    const agent = startAgent(agentName, tenant.token);
    const run = await queueRun(db.prisma, tenant, {
      kind: "VERIFY",
      sourcePath: join(root, source),
      options: { generateTokens },
    });
    await server.realtime.notifyRunQueued(run);
    const pidsLine = await waitFor(
      "the script to report its children",
      () =>
        db.prisma.runLogLine
          .findFirst({ where: { runId: run.id, line: { startsWith: "pids " } } })
          .then((l) => l ?? undefined),
      60_000,
    );
    const children = pidsLine.line.split(" ").slice(1).map(Number);
    pids.push(...children);
    return { run, children, agent, tenant };
  }

  function startAgent(dirName: string, token: string): AgentProcess {
    const agent = startAgentProcess(join(tmp, dirName), {
      server: server.url,
      token,
      roots: [join(tmp, "data")],
      scripts: { verify: ESCAPING_TREE },
      cancelGrace: GRACE,
      jobCgroups,
    });
    agents.push(agent);
    return agent;
  }

  const runEnded = (runId: string) =>
    waitFor(
      "the run to end",
      async () => {
        const r = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"].includes(r.status) ? r : undefined;
      },
      30_000,
    );

  const logOf = async (runId: string) =>
    (await db.prisma.runLogLine.findMany({ where: { runId }, orderBy: { seq: "asc" } })).map((l) => l.line);

  it.skipIf(!available)(
    "ends a run whose script exited while its children hold the output: SUCCEEDED, children killed",
    async () => {
      const { run, children, agent } = await startScript(0);
      expect(children).toHaveLength(source === "clean-env" ? 2 : 1);
      const started = Date.now();

      const finished = await runEnded(run.id);
      expect(finished.status, agent.output()).toBe("SUCCEEDED");
      expect(Date.now() - started).toBeLessThan(LEFTOVER_BOUND_MS + 5_000);
      expect(children.filter(isAlive)).toEqual([]);
      const log = await logOf(run.id);
      expect(log.some((l) => l.startsWith("tracking the job's processes:"))).toBe(true);
      expect(log).toContainEqual(
        expect.stringMatching(
          /^the script exited leaving \d+ process\(es\) running; stopped them \(SIG(INT|TERM|KILL)\)$/,
        ),
      );
    },
  );

  it.skipIf(!available)("cancels a run whose children left its process group: all of them end", async () => {
    const { run, children, agent } = await startScript(1);
    await waitFor("the script's output", async () =>
      (await logOf(run.id)).some((l) => l.startsWith("working")),
    );

    const cancelledAt = Date.now();
    await db.prisma.run.update({ where: { id: run.id }, data: { cancelRequestedAt: new Date() } });
    await server.realtime.requestCancel(run.id);
    await waitFor("every child to be gone", () => children.every((pid) => !isAlive(pid)), 15_000);
    expect(Date.now() - cancelledAt).toBeLessThan(GRACE.interruptMs + GRACE.terminateMs + 3_000);

    const finished = await runEnded(run.id);
    expect(finished.status, agent.output()).toBe("CANCELLED");
    expect(await logOf(run.id)).toContain("the job's processes stopped (ended by SIGKILL)");
  });

  it.skipIf(!available)(
    "a restarted agent kills what its killed predecessor's job left, escaped children too",
    async () => {
      const { run, children, agent, tenant } = await startScript(2, "agent-restarted");
      const { leader } = await waitFor("the job's first process in the spool", () => {
        try {
          const file = join(tmp, "agent-restarted", "spool", "runs", run.id, "process.json");
          return { leader: (JSON.parse(readFileSync(file, "utf8")) as { pgid: number }).pgid };
        } catch {
          return undefined;
        }
      });
      await agent.kill("SIGKILL");
      expect([leader, ...children].every(isAlive)).toBe(true);

      startAgent("agent-restarted", tenant.token);
      await waitFor(
        "the job's processes to be gone",
        () => [leader, ...children].every((pid) => !isAlive(pid)),
        15_000,
      );
    },
  );
});
