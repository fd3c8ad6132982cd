/**
 * Output PostgreSQL cannot store as it is never blocks a run: the agent makes job output storable
 * (NUL, bytes that are not UTF-8, long lines cut between characters), and the server stores an
 * event it still cannot take as a visible note in its place, with the rest of the batch.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AGENT_EVENTS, AGENT_NAMESPACE, MAX_LOG_LINE_CHARS } from "@fp4kit/protocol";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant, queueRun } from "./support/fixtures.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";

const ODD_OUTPUT = fileURLToPath(new URL("./fixtures/odd_output.py", import.meta.url));

describe("output that PostgreSQL cannot store as it is", () => {
  let stack: AgentTestStack;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-output-");
  });

  afterAll(() => stack?.close());

  const stdoutOf = async (runId: string) =>
    (
      await stack.db.prisma.runLogLine.findMany({
        where: { runId, stream: "STDOUT" },
        orderBy: { seq: "asc" },
      })
    ).map((l) => l.line);

  it("is made storable by the agent: NUL shown as ␀, bad bytes as U+FFFD, an emoji on a cut kept whole", async () => {
    mkdirSync(join(stack.root, "model"));
    const agent = stack.startAgent({ scripts: { verify: ODD_OUTPUT } });
    const run = await stack.queue({ kind: "VERIFY", sourcePath: join(stack.root, "model") });
    const finished = await stack.waitForEnd(run.id);
    expect(finished.status, agent.output()).toBe("SUCCEEDED");
    const lines = await stdoutOf(run.id);
    const long = `${"x".repeat(65_535)}\u{1F600} tail`;
    expect(MAX_LOG_LINE_CHARS).toBe(65_536); // the emoji's two halves straddle the limit
    expect(lines).toEqual([
      "before",
      "a\u2400b",
      "\uFFFD\uFFFD not utf-8",
      "x".repeat(65_535),
      "\u{1F600} tail",
      "after",
    ]);
    expect(lines.slice(3, 5).join("")).toBe(long);
  });

  it("is quarantined by the server, one event at a time, with the rest of the batch stored", async () => {
    const tenant = await createTenant(stack.db.prisma, "raw");
    const run = await queueRun(stack.db.prisma, tenant, { kind: "VERIFY", sourcePath: "/data/model" });
    await stack.db.prisma.run.update({
      where: { id: run.id },
      data: { status: "RUNNING", agentId: tenant.agentId, leaseExpiresAt: new Date(Date.now() + 60_000) },
    });
    // An agent that does not clean its output (an older version, another client of the protocol).
    const socket = io(new URL(AGENT_NAMESPACE, stack.server.url).href, {
      auth: { token: tenant.token },
      transports: ["websocket"],
    });
    try {
      const ts = new Date().toISOString();
      const events = [
        { type: "log", seq: 1, ts, stream: "STDOUT", line: "fine 1" },
        { type: "log", seq: 2, ts, stream: "STDOUT", line: "nul \0 inside" },
        { type: "metric", seq: 3, ts, values: { currentShard: "shard\0name" } },
        { type: "log", seq: 4, ts, stream: "LOUD", line: "an unknown stream" },
        { type: "log", seq: 5, ts, stream: "STDOUT", line: "fine 5" },
      ];
      const ack = await socket.timeout(10_000).emitWithAck(AGENT_EVENTS.events, { runId: run.id, events });
      expect(ack).toEqual({ ok: true, ackedSeq: 5 });

      const stored = await stack.db.prisma.runLogLine.findMany({
        where: { runId: run.id },
        orderBy: { seq: "asc" },
      });
      expect(stored.map((l) => [l.seq, l.stream])).toEqual([
        [1, "STDOUT"],
        [2, "SYSTEM"],
        [3, "SYSTEM"],
        [4, "SYSTEM"],
        [5, "STDOUT"],
      ]);
      expect(stored[0]?.line).toBe("fine 1");
      expect(stored[1]?.line).toMatch(
        /^event 2 could not be stored as sent \(PostgreSQL refused it: .*\); it was: .*nul \\u0000 inside/,
      );
      expect(stored[2]?.line).toMatch(
        /^event 3 could not be stored as sent \(PostgreSQL refused it: .*\); it was: .*shard\\u0000name/,
      );
      expect(stored[3]?.line).toMatch(/^event 4 could not be stored as sent \(.*stream.*\); it was: .*LOUD/s);
      expect(stored[4]?.line).toBe("fine 5");
      expect(await stack.db.prisma.metricSample.count({ where: { runId: run.id } })).toBe(0);
    } finally {
      socket.close();
    }
  });
});
