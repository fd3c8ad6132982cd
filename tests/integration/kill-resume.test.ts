import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSpooledEvents, readStoredEvents } from "./support/events.ts";
import { type AgentTestStack, digestFolder, startAgentTestStack } from "./support/stack.ts";
import { waitFor } from "./support/wait.ts";

const SHARD_BYTES = 1 << 20;

describe("kill -9 of the agent in the middle of a convert", () => {
  let stack: AgentTestStack;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-kill-");
    await generateCheckpoint({
      family: "deepseek-v3",
      dir: join(stack.root, "src"),
      layers: 20,
      routedExperts: 32,
      shards: 3,
    });
  });

  afterAll(() => stack?.close());

  const convert = (dest: string) =>
    stack.queue({
      kind: "CONVERT",
      sourcePath: join(stack.root, "src"),
      destPath: join(stack.root, dest),
      options: { shardSizeBytes: SHARD_BYTES },
    });

  async function succeeded(runId: string) {
    const run = await stack.waitForEnd(runId, 90_000);
    expect(run.status, `${run.error}\nagent log:\n${stack.agent?.output()}`).toBe("SUCCEEDED");
    return run;
  }

  it("resumes the run after a restart and produces byte-identical output", async () => {
    const first = stack.startAgent();
    const reference = await convert("reference");
    await succeeded(reference.id);

    const run = await convert("resumed");
    // The converter's own record of complete shards: kill once it holds some, but not all.
    const manifest = join(stack.root, "resumed", "fp4kit-manifest.json");
    const completeShards = () => {
      try {
        const m = JSON.parse(readFileSync(manifest, "utf8")) as { complete: boolean; shards: object };
        return m.complete ? -1 : Object.keys(m.shards).length;
      } catch {
        return 0; // not written yet
      }
    };
    await waitFor("the first complete output shard", () => completeShards() >= 1, 60_000);
    await first.kill("SIGKILL");
    const shardsAtKill = completeShards();
    const before = await stack.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(before.status).toBe("RUNNING");

    stack.startAgent();
    const after = await succeeded(run.id);
    expect(after.attempt).toBe(1); // the same run continued, no retry needed
    const lines = await stack.logLines(run.id);
    expect(lines).toContain(
      "──────── agent restarted: start 2 of this run, the conversion resumes from the shards already complete; the lines above are from start 1 ────────",
    );
    // The converter kept the shards completed before the kill instead of converting them again
    // (one more may have completed between reading the manifest and the kill).
    expect(lines.some((l) => /^resuming: \d+ of \d+ shards already complete/.test(l))).toBe(true);
    const { resumedShards } = after.summary as { resumedShards: number };
    expect(resumedShards).toBeGreaterThanOrEqual(shardsAtKill);
    expect(shardsAtKill).toBeGreaterThan(0); // killed mid-run: some shards complete, not all

    expect(digestFolder(join(stack.root, "resumed"))).toEqual(digestFolder(join(stack.root, "reference")));
    // Nothing spooled before the kill was lost or stored twice.
    expect(await readStoredEvents(stack.db.prisma, run.id)).toEqual(
      readSpooledEvents(join(stack.tmp, "agent", "spool"), run.id),
    );
  });
});
