/**
 * Runs that cannot succeed are refused when they are queued, with the reason, judged on what the
 * real agent reported (its data roots, its GPUs, the Python packages it found, whether it is
 * revoked) and on whether an agent that could run it is online. Through the web app's queueing.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db";
import { AgentCapabilitiesSchema, type NewRunInput } from "@fp4kit/protocol";
import { createRun, RECONNECT_GRACE_MS } from "@fp4kit/web/server/runs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentProcess } from "./support/agent-process.ts";
import { createTenant } from "./support/fixtures.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";
import { waitFor } from "./support/wait.ts";

describe("capability-aware queueing", () => {
  let stack: AgentTestStack;
  let root: string;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-queueing-");
    root = stack.root;
    mkdirSync(join(root, "model"));
    agent = stack.startAgent();
    await waitFor(
      "the agent's capabilities",
      async () =>
        (await stack.db.prisma.agent.findUniqueOrThrow({ where: { id: stack.tenant.agentId } })).hostname ??
        undefined,
      60_000,
    );
  });

  afterAll(() => stack?.close());

  /** Queues as the tenant's user; the refusal's message, or null when the run was queued. */
  async function submit(spec: NewRunInput, who = stack.tenant): Promise<string | null> {
    try {
      await createRun(stack.db.prisma, stack.server.realtime, {
        teamId: who.teamId,
        createdById: who.userId,
        spec,
      });
      return null;
    } catch (err) {
      expect(err).toMatchObject({ name: "DomainError", code: "BAD_REQUEST" });
      return (err as Error).message;
    }
  }

  const inspect = (sourcePath: string, agentId: string | null = null): NewRunInput => ({
    agentId,
    kind: "INSPECT",
    sourcePath,
    destPath: null,
    options: {},
  });

  it("refuses a path outside every agent's roots, naming the roots", async () => {
    expect(await submit(inspect("/etc"))).toBe(
      `No agent of this team can run it. alice-b200: source /etc is not under its data roots (${root}).`,
    );
    expect(await submit(inspect(join(root, "model")))).toBeNull();
  });

  it("refuses more GPUs than the agent has", async () => {
    const spec: NewRunInput = {
      agentId: stack.tenant.agentId,
      kind: "CONVERT",
      sourcePath: join(root, "model"),
      destPath: join(root, "out"),
      options: { gpus: 8 },
    } as NewRunInput;
    const gpus = AgentCapabilitiesSchema.parse(
      (await stack.db.prisma.agent.findUniqueOrThrow({ where: { id: stack.tenant.agentId } })).capabilities,
    ).gpus.length;
    expect(gpus).toBeLessThan(8); // this machine has no 8 GPUs
    expect(await submit(spec)).toBe(
      `Agent alice-b200 cannot run it: the run asks for 8 GPUs and it has ${gpus}.`,
    );
  });

  it("refuses a job whose Python packages the agent reported missing, with the install command", async () => {
    const capabilities = AgentCapabilitiesSchema.parse(
      (await stack.db.prisma.agent.findUniqueOrThrow({ where: { id: stack.tenant.agentId } })).capabilities,
    );
    // llm-compressor cannot be installed on the machines this runs on; the agent found it missing.
    expect(capabilities.python.packages.llmcompressor).toBeNull();
    const missing = (["torch", "llmcompressor"] as const).filter(
      (p) => capabilities.python.packages[p] === null,
    );
    const message = await submit({
      agentId: null,
      kind: "CALIBRATE",
      sourcePath: join(root, "model"),
      destPath: join(root, "calibrated"),
      options: {},
    } as NewRunInput);
    expect(message).toContain(
      `its Python lacks ${missing.join(" and ")}, which a calibrate job imports (install: python3 -m pip install ${missing.join(" ")})`,
    );
  });

  it("refuses runs for a team without agents, for agents that are offline or never connected, and for a revoked agent", async () => {
    const lonely = await createTenant(stack.db.prisma, "lonely");
    await stack.db.prisma.agent.delete({ where: { id: lonely.agentId } });
    expect(await submit(inspect("/data/model"), lonely)).toBe(
      "This team has no agent to run it: add one on the Agents page and start it on the host that has the checkpoint.",
    );

    await agent.kill("SIGKILL");
    await waitFor("the agent to be offline", async () => {
      const { connectedAt } = await stack.db.prisma.agent.findUniqueOrThrow({
        where: { id: stack.tenant.agentId },
      });
      return connectedAt === null;
    });
    // What it can never do is said first, judged on what it reported when it was last connected.
    expect(await submit(inspect("/etc", stack.tenant.agentId))).toBe(
      `Agent alice-b200 cannot run it: source /etc is not under its data roots (${root}).`,
    );

    // A run it could do would only wait for it: refused once the reconnect grace has passed.
    const { lastSeenAt } = await stack.db.prisma.agent.findUniqueOrThrow({
      where: { id: stack.tenant.agentId },
    });
    if (!lastSeenAt) throw new Error("the agent was never seen");
    await new Promise((resolve) =>
      setTimeout(resolve, lastSeenAt.getTime() + RECONNECT_GRACE_MS - Date.now()),
    );
    const since = `${lastSeenAt.toISOString().slice(11, 16)} UTC`;
    const model = join(root, "model");
    const runsBefore = await stack.db.prisma.run.count();
    expect(await submit(inspect(model, stack.tenant.agentId))).toBe(
      `Agent alice-b200 is offline since ${since} — start it, or choose another agent.`,
    );
    expect(await submit(inspect(model))).toBe(
      `No agent of this team that can run it is online: agent alice-b200 is offline since ${since}. Start it, or add an agent on the Agents page.`,
    );

    const { tokenHash, tokenPrefix } = generateAgentToken();
    const spare = await stack.db.prisma.agent.create({
      data: {
        teamId: stack.tenant.teamId,
        name: "spare-host",
        tokenHash,
        tokenPrefix,
        createdById: stack.tenant.userId,
      },
    });
    expect(await submit(inspect(model, spare.id))).toBe(
      "Agent spare-host has never connected — start it, or choose another agent.",
    );
    expect(await submit(inspect(model))).toBe(
      `No agent of this team that can run it is online: agent alice-b200 is offline since ${since}; agent spare-host has never connected. Start one of them.`,
    );
    expect(await stack.db.prisma.run.count()).toBe(runsBefore);

    await stack.db.prisma.agent.update({
      where: { id: stack.tenant.agentId },
      data: { revokedAt: new Date() },
    });
    expect(await submit(inspect(model, stack.tenant.agentId))).toBe(
      "Agent alice-b200 cannot run it: its token was revoked.",
    );
  });
});
