import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentConfig } from "@fp4kit/agent";
import type { Run } from "@fp4kit/db";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { type AgentProcess, startAgentProcess } from "./agent-process.ts";
import { createTenant, queueRun, type Tenant } from "./fixtures.ts";
import { type InProcessServer, startInProcessServer } from "./servers.ts";
import { waitFor } from "./wait.ts";

/** What a test of the agent against the server stands on: its own database, a tenant, the server. */
export interface AgentTestStack {
  db: TestDatabase;
  tenant: Tenant;
  /** A temporary folder, removed by close(). */
  tmp: string;
  /** `<tmp>/data`, the folder the agent is given as its root unless a test says otherwise. */
  root: string;
  server: InProcessServer;
  /** The agent startAgent started last, if any (close() stops it). */
  agent: AgentProcess | undefined;
  /** Starts the real agent in `<tmp>/agent` (the same spool on a restart), signed in as the tenant. */
  startAgent(config?: Partial<AgentConfig>): AgentProcess;
  /** Queues a run for the tenant and tells the server, as the web app does. */
  queue(run: Parameters<typeof queueRun>[2]): Promise<Run>;
  /** What the web app's cancel does: marks the run, then tells the server. */
  cancel(runId: string): Promise<void>;
  /** The run once it has ended (any status but QUEUED and RUNNING); a timeout says the agent's log. */
  waitForEnd(runId: string, timeoutMs?: number): Promise<Run>;
  /** The run's log lines, in order. */
  logLines(runId: string): Promise<string[]>;
  /** Stops the agent and the server, drops the database and removes the temporary folder. */
  close(): Promise<void>;
}

export async function startAgentTestStack(tmpPrefix: string): Promise<AgentTestStack> {
  const db = await createTestDatabase();
  const tenant = await createTenant(db.prisma);
  const tmp = mkdtempSync(join(tmpdir(), tmpPrefix));
  const root = join(tmp, "data");
  mkdirSync(root, { recursive: true });
  const server = await startInProcessServer(db.prisma, db.connectionString);

  const stack: AgentTestStack = {
    db,
    tenant,
    tmp,
    root,
    server,
    agent: undefined,
    startAgent(config = {}) {
      stack.agent = startAgentProcess(join(tmp, "agent"), {
        server: server.url,
        token: tenant.token,
        roots: [root],
        ...config,
      });
      return stack.agent;
    },
    async queue(run) {
      const queued = await queueRun(db.prisma, tenant, run);
      await server.realtime.notifyRunQueued(queued);
      return queued;
    },
    async cancel(runId) {
      await db.prisma.run.update({ where: { id: runId }, data: { cancelRequestedAt: new Date() } });
      await server.realtime.requestCancel(runId);
    },
    waitForEnd(runId, timeoutMs = 60_000) {
      return waitFor(
        `run ${runId} to end`,
        async () => {
          const r = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
          return r.status === "QUEUED" || r.status === "RUNNING" ? undefined : r;
        },
        timeoutMs,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nagent log:\n${stack.agent?.output() ?? "(no agent started)"}`);
      });
    },
    async logLines(runId) {
      const lines = await db.prisma.runLogLine.findMany({ where: { runId }, orderBy: { seq: "asc" } });
      return lines.map((l) => l.line);
    },
    async close() {
      await stack.agent?.kill();
      await server.close();
      await db.drop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Every file of a folder (recursively) with its sha256, to compare two outputs byte for byte. */
export function digestFolder(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, digestFolder(path, `${prefix}${entry.name}/`));
    else out[prefix + entry.name] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}
