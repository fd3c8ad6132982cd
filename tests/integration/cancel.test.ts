import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "./support/processes.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";
import { waitFor } from "./support/wait.ts";

const STUBBORN_TREE = fileURLToPath(new URL("./fixtures/stubborn_tree.py", import.meta.url));
const GRACE = { interruptMs: 800, terminateMs: 800 };

describe("cancelling a long subprocess job", () => {
  let stack: AgentTestStack;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-cancel-");
  });

  afterAll(() => stack?.close());

  it("ends the whole process tree within the grace periods and keeps the last log lines", async () => {
    mkdirSync(join(stack.root, "model"));
    stack.startAgent({ scripts: { verify: STUBBORN_TREE }, cancelGrace: GRACE });
    const run = await stack.queue({ kind: "VERIFY", sourcePath: join(stack.root, "model"), options: {} });

    const pidsLine = await waitFor("the script to report its process tree", () =>
      stack.db.prisma.runLogLine
        .findFirst({ where: { runId: run.id, line: { startsWith: "pids " } } })
        .then((l) => l ?? undefined),
    );
    const pids = pidsLine.line.split(" ").slice(1).map(Number);
    expect(pids).toHaveLength(3);
    expect(pids.every(isAlive)).toBe(true);
    await waitFor(
      "some output after the tree started",
      async () =>
        (await stack.db.prisma.runLogLine.count({
          where: { runId: run.id, line: { startsWith: "working" } },
        })) >= 5,
    );

    const cancelledAt = Date.now();
    await stack.cancel(run.id);

    // The leader ignores SIGINT and SIGTERM, so only SIGKILL ends it: both grace periods pass.
    await waitFor("the whole tree to be gone", () => pids.every((pid) => !isAlive(pid)), 10_000);
    const elapsed = Date.now() - cancelledAt;
    expect(elapsed).toBeLessThan(GRACE.interruptMs + GRACE.terminateMs + 2_000);

    const finished = await stack.waitForEnd(run.id, 30_000);
    expect(finished.status).toBe("CANCELLED");
    expect(finished.error).toMatch(/cancelled/);
    const logs = await stack.db.prisma.runLogLine.findMany({
      where: { runId: run.id },
      orderBy: { seq: "asc" },
    });
    const lines = logs.map((l) => l.line);
    expect(lines.some((l) => l.startsWith("working"))).toBe(true);
    expect(lines).toContain("cancelled at the user's request");
    expect(lines.some((l) => /the job.s processes stopped \(ended by SIGKILL\)/.test(l))).toBe(true);
    const first = logs[0]?.seq ?? 0;
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => first + i));
  });
});
