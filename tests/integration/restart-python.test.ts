/**
 * A Python job whose agent was killed and restarted while its lease held: the script runs again
 * from its first line, and the log says so between the two starts instead of claiming to resume.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { createTenant, queueRun } from "./support/fixtures.ts";
import { type InProcessServer, startInProcessServer } from "./support/servers.ts";
import { waitFor } from "./support/wait.ts";

const STEADY = fileURLToPath(new URL("./fixtures/steady.py", import.meta.url));
const SEPARATOR =
  "──────── agent restarted: start 2 of this run, the verify job restarted from the beginning; the lines above are from start 1 ────────";

describe("a Python job after an agent restart", () => {
  let db: TestDatabase;
  let tmp: string;
  let server: InProcessServer;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-restart-"));
    server = await startInProcessServer(db.prisma, db.connectionString);
  });

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await server?.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("restarts from the beginning, and the log keeps the two starts apart", async () => {
    const tenant = await createTenant(db.prisma);
    const root = join(tmp, "data");
    mkdirSync(join(root, "model"), { recursive: true });
    const startAgent = () => {
      const agent = startAgentProcess(join(tmp, "agent"), {
        server: server.url,
        token: tenant.token,
        roots: [root],
        scripts: { verify: STEADY },
        cancelGrace: { interruptMs: 500, terminateMs: 500 },
      });
      agents.push(agent);
      return agent;
    };
    const run = await queueRun(db.prisma, tenant, { kind: "VERIFY", sourcePath: join(root, "model") });
    const lines = async () =>
      (await db.prisma.runLogLine.findMany({ where: { runId: run.id }, orderBy: { seq: "asc" } })).map(
        (l) => l.line,
      );

    const first = startAgent();
    await waitFor("three ticks of the first start", async () => (await lines()).includes("tick 3"), 60_000);
    await first.kill("SIGKILL");
    const second = startAgent();
    await waitFor(
      "two ticks of the second start",
      async () => (await lines()).filter((l) => l === "tick 2").length === 2,
      60_000,
    );

    const log = await lines();
    const separator = log.indexOf(SEPARATOR);
    expect(separator, second.output()).toBeGreaterThan(log.indexOf("tick 3"));
    expect(log.filter((l) => l === SEPARATOR)).toHaveLength(1);
    expect(log.some((l) => /resum/.test(l))).toBe(false);
    // Each start printed from its first line: tick 1 once above the separator and once below.
    expect(log.slice(0, separator)).toContain("tick 1");
    expect(log.slice(separator + 1)).toContain("tick 1");
    expect(log.slice(separator + 1).indexOf("tick 1")).toBeLessThan(
      log.slice(separator + 1).indexOf("tick 2"),
    );
    expect((await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("RUNNING");

    // Cancelled, so that no script outlives the test.
    await db.prisma.run.update({ where: { id: run.id }, data: { cancelRequestedAt: new Date() } });
    await server.realtime.requestCancel(run.id);
    await waitFor("the run to be cancelled", async () => {
      const { status } = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
      return status === "CANCELLED";
    });
  });
});
