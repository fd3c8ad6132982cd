import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { readSpooledEvents, readStoredEvents } from "./support/events.ts";
import { createTenant, queueRun, type Tenant } from "./support/fixtures.ts";
import { type InProcessServer, startInProcessServer } from "./support/servers.ts";
import { waitFor } from "./support/wait.ts";

/** Every file of a folder (recursively) with its sha256, to compare two outputs byte for byte. */
function digestFolder(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, digestFolder(path, `${prefix}${entry.name}/`));
    else out[prefix + entry.name] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}

const SHARD_BYTES = 1 << 20;

describe("kill -9 of the agent in the middle of a convert", () => {
  let db: TestDatabase;
  let tenant: Tenant;
  let tmp: string;
  let root: string;
  let server: InProcessServer;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await createTenant(db.prisma);
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-kill-"));
    root = join(tmp, "data");
    mkdirSync(root, { recursive: true });
    await generateCheckpoint({
      family: "deepseek-v3",
      dir: join(root, "src"),
      layers: 20,
      routedExperts: 32,
      shards: 3,
    });
    server = await startInProcessServer(db.prisma, db.connectionString);
  });

  afterAll(async () => {
    await agent?.kill();
    await server?.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const startAgent = () =>
    startAgentProcess(join(tmp, "agent"), { server: server.url, token: tenant.token, roots: [root] });

  async function convert(dest: string) {
    const run = await queueRun(db.prisma, tenant, {
      kind: "CONVERT",
      sourcePath: join(root, "src"),
      destPath: join(root, dest),
      options: { shardSizeBytes: SHARD_BYTES },
    });
    await server.realtime.notifyRunQueued(run);
    return run;
  }

  async function succeeded(runId: string) {
    return waitFor(
      `run ${runId} to succeed`,
      async () => {
        const r = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        if (r.status === "FAILED" || r.status === "LOST") throw new Error(`run ${r.status}: ${r.error}`);
        return r.status === "SUCCEEDED" ? r : undefined;
      },
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${agent?.output()}`);
    });
  }

  it("resumes the run after a restart and produces byte-identical output", async () => {
    agent = startAgent();
    const reference = await convert("reference");
    await succeeded(reference.id);

    const run = await convert("resumed");
    // The converter's own record of complete shards: kill once it holds some, but not all.
    const manifest = join(root, "resumed", "fp4kit-manifest.json");
    const completeShards = () => {
      try {
        const m = JSON.parse(readFileSync(manifest, "utf8")) as { complete: boolean; shards: object };
        return m.complete ? -1 : Object.keys(m.shards).length;
      } catch {
        return 0; // not written yet
      }
    };
    await waitFor("the first complete output shard", () => completeShards() >= 1, 60_000);
    await agent.kill("SIGKILL");
    const shardsAtKill = completeShards();
    const before = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(before.status).toBe("RUNNING");

    agent = startAgent();
    const after = await succeeded(run.id);
    expect(after.attempt).toBe(1); // the same run continued, no retry needed
    const lines = (await db.prisma.runLogLine.findMany({ where: { runId: run.id } })).map((l) => l.line);
    expect(lines).toContain(
      "──────── agent restarted: start 2 of this run, the conversion resumes from the shards already complete; the lines above are from start 1 ────────",
    );
    // The converter kept the shards completed before the kill instead of converting them again
    // (one more may have completed between reading the manifest and the kill).
    expect(lines.some((l) => /^resuming: \d+ of \d+ shards already complete/.test(l))).toBe(true);
    const { resumedShards } = after.summary as { resumedShards: number };
    expect(resumedShards).toBeGreaterThanOrEqual(shardsAtKill);
    expect(shardsAtKill).toBeGreaterThan(0); // killed mid-run: some shards complete, not all

    expect(digestFolder(join(root, "resumed"))).toEqual(digestFolder(join(root, "reference")));
    // Nothing spooled before the kill was lost or stored twice.
    expect(await readStoredEvents(db.prisma, run.id)).toEqual(
      readSpooledEvents(join(tmp, "agent", "spool"), run.id),
    );
  });
});
