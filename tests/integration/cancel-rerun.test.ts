/**
 * Cancel, then run again into the same destination at once, through the real agent. A cancelled
 * conversion whose converter does not stop within the grace period has its worker thread
 * terminated; the agent process (which holds the destination's lock) goes on running, so the
 * job must free that conversion's lock, or the re-run is refused until the lock goes stale.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
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
const LOCK_FILE = "fp4kit.lock";

describe("run again right after a cancel", () => {
  let db: TestDatabase;
  let tenant: Tenant;
  let tmp: string;
  let root: string;
  let server: InProcessServer;
  let agent: AgentProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await createTenant(db.prisma);
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-cancel-rerun-"));
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
    agent = startAgentProcess(join(tmp, "agent"), {
      server: server.url,
      token: tenant.token,
      roots: [root],
      // No grace: a cancel terminates the converter's thread mid-conversion, the case in which the
      // converter cannot release its lock itself.
      cancelGrace: { interruptMs: 0, terminateMs: 800 },
    });
  }, 120_000);

  afterAll(async () => {
    await agent?.kill();
    await server?.close();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

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

  async function ended(runId: string) {
    return waitFor(
      `run ${runId} to end`,
      async () => {
        const r = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"].includes(r.status) ? r : undefined;
      },
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${agent.output()}`);
    });
  }

  const logLines = async (runId: string) =>
    (await db.prisma.runLogLine.findMany({ where: { runId }, orderBy: { seq: "asc" } })).map((l) => l.line);

  it("the same conversion queued at once runs, is not refused, and ends with the bytes of an uncancelled run", {
    timeout: 300_000,
  }, async () => {
    const reference = await convert("reference");
    const done = await ended(reference.id);
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");

    const cancelled = await convert("again");
    await waitFor(
      "the first output shard",
      async () => (await logLines(cancelled.id)).some((l) => /: written$/.test(l)),
      120_000,
    );
    await db.prisma.run.update({ where: { id: cancelled.id }, data: { cancelRequestedAt: new Date() } });
    await server.realtime.requestCancel(cancelled.id);
    const stopped = await ended(cancelled.id);
    expect(stopped.status, stopped.error ?? "").toBe("CANCELLED");
    // The thread was ended from outside, not stopped by the converter: the lock was the job's to free.
    expect(await logLines(cancelled.id)).toContain(
      "the converter did not stop within 0 ms; terminating its thread",
    );
    expect(readdirSync(join(root, "again"))).not.toContain(LOCK_FILE);

    const rerun = await convert("again");
    const after = await ended(rerun.id);
    const lines = await logLines(rerun.id);
    expect(after.status, `${after.error}\n${lines.join("\n")}`).toBe("SUCCEEDED");
    expect(lines.some((l) => /in use by another conversion|took over/.test(l))).toBe(false);
    expect(digestFolder(join(root, "again"))).toEqual(digestFolder(join(root, "reference")));
  });
});
