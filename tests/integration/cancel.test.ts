import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { createTenant, queueRun, type Tenant } from "./support/fixtures.ts";
import { type InProcessServer, startInProcessServer } from "./support/servers.ts";
import { waitFor } from "./support/wait.ts";

const STUBBORN_TREE = fileURLToPath(new URL("./fixtures/stubborn_tree.py", import.meta.url));
const GRACE = { interruptMs: 800, terminateMs: 800 };

/** Alive = has a /proc entry that is not a zombie (a killed orphan may wait a moment for its reaper). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("cancelling a long subprocess job", () => {
  let db: TestDatabase;
  let tenant: Tenant;
  let tmp: string;
  let server: InProcessServer;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await createTenant(db.prisma);
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-cancel-"));
    server = await startInProcessServer(db.prisma, db.connectionString);
  });

  afterAll(async () => {
    await agent?.kill();
    await server?.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("ends the whole process tree within the grace periods and keeps the last log lines", async () => {
    const root = join(tmp, "data");
    mkdirSync(join(root, "model"), { recursive: true });
    agent = startAgentProcess(join(tmp, "agent"), {
      server: server.url,
      token: tenant.token,
      roots: [root],
      scripts: { verify: STUBBORN_TREE },
      cancelGrace: GRACE,
    });
    const run = await queueRun(db.prisma, tenant, {
      kind: "VERIFY",
      sourcePath: join(root, "model"),
      options: {},
    });
    await server.realtime.notifyRunQueued(run);

    const pidsLine = await waitFor("the script to report its process tree", () =>
      db.prisma.runLogLine
        .findFirst({ where: { runId: run.id, line: { startsWith: "pids " } } })
        .then((l) => l ?? undefined),
    );
    const pids = pidsLine.line.split(" ").slice(1).map(Number);
    expect(pids).toHaveLength(3);
    expect(pids.every(isAlive)).toBe(true);
    await waitFor(
      "some output after the tree started",
      async () =>
        (await db.prisma.runLogLine.count({ where: { runId: run.id, line: { startsWith: "working" } } })) >=
        5,
    );

    // What the web app's cancel does: mark the run, then tell the realtime layer.
    const cancelledAt = Date.now();
    await db.prisma.run.update({ where: { id: run.id }, data: { cancelRequestedAt: new Date() } });
    await server.realtime.requestCancel(run.id);

    // The leader ignores SIGINT and SIGTERM, so only SIGKILL ends it: both grace periods pass.
    await waitFor("the whole tree to be gone", () => pids.every((pid) => !isAlive(pid)), 10_000);
    const elapsed = Date.now() - cancelledAt;
    expect(elapsed).toBeLessThan(GRACE.interruptMs + GRACE.terminateMs + 2_000);

    const finished = await waitFor("the run to end cancelled", async () => {
      const r = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
      return r.status === "CANCELLED" ? r : undefined;
    });
    expect(finished.error).toMatch(/cancelled/);
    const logs = await db.prisma.runLogLine.findMany({ where: { runId: run.id }, orderBy: { seq: "asc" } });
    const lines = logs.map((l) => l.line);
    expect(lines.some((l) => l.startsWith("working"))).toBe(true);
    expect(lines).toContain("cancelled at the user's request");
    expect(lines.some((l) => /the job.s processes stopped \(ended by SIGKILL\)/.test(l))).toBe(true);
    const first = logs[0]?.seq ?? 0;
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => first + i));
  });
});
