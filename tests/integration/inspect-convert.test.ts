import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  AgentCapabilitiesSchema,
  BROWSER_EVENTS,
  BrowserRunEventsSchema,
  InspectReportSchema,
  MetricValuesSchema,
  QualityReportSchema,
  type RunEvent,
  ShardListSchema,
} from "@fp4kit/protocol";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentProcess } from "./support/agent-process.ts";
import { readStoredEvents } from "./support/events.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";
import { waitFor } from "./support/wait.ts";

describe("an agent registers, claims and runs inspect and convert", () => {
  let stack: AgentTestStack;
  let root: string;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-e2e-");
    root = stack.root;
    await generateCheckpoint({ family: "deepseek-v3", dir: join(root, "DeepSeek-V3-FP8"), shards: 2 });
    agent = stack.startAgent();
  });

  afterAll(() => stack?.close());

  it("reports its capabilities on connect", async () => {
    const row = await waitFor("the agent's hello", async () => {
      const a = await stack.db.prisma.agent.findUniqueOrThrow({ where: { id: stack.tenant.agentId } });
      return a.capabilities ? a : undefined;
    });
    expect(row.connectedAt).not.toBeNull();
    expect(row.hostname).toBeTruthy();
    const capabilities = AgentCapabilitiesSchema.parse(row.capabilities);
    expect(capabilities.roots).toEqual([expect.objectContaining({ path: root })]);
    expect(capabilities.roots[0]?.freeBytes).toBeGreaterThan(0);
    expect(capabilities.python.version).toMatch(/^3\./);
  });

  it("inspects: the INSPECT_REPORT artifact and the logs land in Postgres", async () => {
    const run = await stack.queue({ kind: "INSPECT", sourcePath: join(root, "DeepSeek-V3-FP8") });
    const result = await stack.waitForEnd(run.id);
    expect(result.status).toBe("SUCCEEDED");
    expect(result.agentId).toBe(stack.tenant.agentId);
    const artifact = await stack.db.prisma.artifact.findUniqueOrThrow({
      where: { runId_kind: { runId: run.id, kind: "INSPECT_REPORT" } },
    });
    const report = InspectReportSchema.parse(artifact.json);
    expect(report.model.family).toBe("deepseek-v3");
    expect(artifact.markdown).toContain("#");
    const lines = await stack.db.prisma.runLogLine.findMany({
      where: { runId: run.id },
      orderBy: { seq: "asc" },
    });
    expect(lines[0]?.line).toMatch(/^claimed INSPECT run/);
    expect(lines.at(-1)?.line).toBe("inspect succeeded");
  });

  it("converts: output on disk, QUALITY_REPORT and SHARD_LIST artifacts, metrics, and a replay for browsers", async () => {
    const dest = join(root, "DeepSeek-V3-NVFP4");
    const run = await stack.queue({
      kind: "CONVERT",
      sourcePath: join(root, "DeepSeek-V3-FP8"),
      destPath: dest,
      options: { shardSizeBytes: 1 << 20 },
    });
    const result = await stack.waitForEnd(run.id);
    expect(result.error).toBeNull();
    expect(result.status).toBe("SUCCEEDED");
    expect(result.progress).toBe(1);
    expect(Number(result.outputBytes)).toBeGreaterThan(0);
    expect(existsSync(join(dest, "config.json"))).toBe(true);
    expect(readdirSync(dest).some((f) => f.endsWith(".safetensors"))).toBe(true);

    const artifacts = await stack.db.prisma.artifact.findMany({
      where: { runId: run.id },
      orderBy: { kind: "asc" },
    });
    expect(artifacts.map((a) => a.kind)).toEqual(["QUALITY_REPORT", "SHARD_LIST"]);
    // Stored as the pages read them: the protocol's schemas parse what the server kept.
    expect(QualityReportSchema.parse(artifacts[0]?.json).outputFormat).toBe("compressed-tensors");
    expect(ShardListSchema.parse(artifacts[1]?.json).length).toBeGreaterThan(0);
    const metrics = await stack.db.prisma.metricSample.findMany({
      where: { runId: run.id },
      orderBy: { seq: "asc" },
    });
    const last = MetricValuesSchema.parse(metrics.at(-1)?.values);
    expect(last.progress).toBe(1);
    expect(last.bytesWritten).toBeGreaterThan(0);
    expect(last.tensorsDone).toBe(last.tensorsTotal);

    // A browser opening the run afterwards gets the whole history, in order, once.
    const stored = await readStoredEvents(stack.db.prisma, run.id);
    const browser = io(`${stack.server.url}/browser`, {
      transports: ["websocket"],
      extraHeaders: { "x-test-user": stack.tenant.userId },
    });
    try {
      const replayed: RunEvent[] = [];
      browser.on(BROWSER_EVENTS.runEvents, (p: unknown) =>
        replayed.push(...BrowserRunEventsSchema.parse(p).events),
      );
      const ack = await browser.emitWithAck(BROWSER_EVENTS.subscribeRun, { runId: run.id, afterSeq: 0 });
      expect(ack).toEqual({ ok: true, status: "SUCCEEDED", progress: 1 });
      expect(replayed).toEqual(stored);
    } finally {
      browser.close();
    }
  });

  it("is disconnected at once when its token is revoked, and exits instead of retrying", async () => {
    await stack.db.prisma.agent.update({
      where: { id: stack.tenant.agentId },
      data: { revokedAt: new Date() },
    });
    const revokedAt = Date.now();
    await stack.server.realtime.revokeAgent(stack.tenant.agentId);
    expect(await agent.exited).toBe(3);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect(agent.output()).toMatch(/revoked/);
    const row = await stack.db.prisma.agent.findUniqueOrThrow({ where: { id: stack.tenant.agentId } });
    expect(row.connectedAt).toBeNull();
  });
});
