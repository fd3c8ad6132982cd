/**
 * Cancel, then run again into the same destination at once, through the real agent. A cancelled
 * conversion whose converter does not stop within the grace period has its worker thread
 * terminated; the agent process (which holds the destination's lock) goes on running, so the
 * job must free that conversion's lock, or the re-run is refused until the lock goes stale.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentTestStack, digestFolder, startAgentTestStack } from "./support/stack.ts";
import { waitFor } from "./support/wait.ts";

const SHARD_BYTES = 1 << 20;
const LOCK_FILE = "fp4kit.lock";

describe("run again right after a cancel", () => {
  let stack: AgentTestStack;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-cancel-rerun-");
    await generateCheckpoint({
      family: "deepseek-v3",
      dir: join(stack.root, "src"),
      layers: 20,
      routedExperts: 32,
      shards: 3,
    });
    stack.startAgent({
      // No grace: a cancel terminates the converter's thread mid-conversion, the case in which the
      // converter cannot release its lock itself.
      cancelGrace: { interruptMs: 0, terminateMs: 800 },
    });
  }, 120_000);

  afterAll(() => stack?.close());

  const convert = (dest: string) =>
    stack.queue({
      kind: "CONVERT",
      sourcePath: join(stack.root, "src"),
      destPath: join(stack.root, dest),
      options: { shardSizeBytes: SHARD_BYTES },
    });

  it("the same conversion queued at once runs, is not refused, and ends with the bytes of an uncancelled run", {
    timeout: 300_000,
  }, async () => {
    const reference = await convert("reference");
    const done = await stack.waitForEnd(reference.id, 120_000);
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");

    const cancelled = await convert("again");
    await waitFor(
      "the first output shard",
      async () => (await stack.logLines(cancelled.id)).some((l) => /: written$/.test(l)),
      120_000,
    );
    await stack.cancel(cancelled.id);
    const stopped = await stack.waitForEnd(cancelled.id, 120_000);
    expect(stopped.status, stopped.error ?? "").toBe("CANCELLED");
    // The thread was ended from outside, not stopped by the converter: the lock was the job's to free.
    expect(await stack.logLines(cancelled.id)).toContain(
      "the converter did not stop within 0 ms; terminating its thread",
    );
    expect(readdirSync(join(stack.root, "again"))).not.toContain(LOCK_FILE);

    const rerun = await convert("again");
    const after = await stack.waitForEnd(rerun.id, 120_000);
    const lines = await stack.logLines(rerun.id);
    expect(after.status, `${after.error}\n${lines.join("\n")}`).toBe("SUCCEEDED");
    expect(lines.some((l) => /in use by another conversion|took over/.test(l))).toBe(false);
    expect(digestFolder(join(stack.root, "again"))).toEqual(digestFolder(join(stack.root, "reference")));
  });
});
