/**
 * Two real agents of one team with different data roots: a run pinned to no agent is claimed only
 * by an agent that can run it, as each reported when it connected; the other passes over it to the
 * next run it can run, and still takes, and fails with the reason, a run pinned to it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgentProcess } from "./support/agent-process.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";
import { waitFor } from "./support/wait.ts";

describe("claiming in a team whose agents see different data", () => {
  let stack: AgentTestStack;
  /** The second agent's only data root (the first has stack.root). */
  let otherRoot: string;
  let other: AgentProcess | undefined;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-claim-");
    otherRoot = join(stack.tmp, "other-data");
    mkdirSync(otherRoot);
    const small = { family: "deepseek-v3", layers: 2, routedExperts: 4 } as const;
    await generateCheckpoint({ ...small, dir: join(stack.root, "here-fp8") });
    await generateCheckpoint({ ...small, dir: join(otherRoot, "there-fp8") });
    stack.startAgent();
    await waitFor("the first agent's capabilities", async () => {
      const agent = await stack.db.prisma.agent.findUniqueOrThrow({ where: { id: stack.tenant.agentId } });
      return agent.capabilities !== null;
    });
  });

  afterAll(async () => {
    await other?.kill();
    await stack?.close();
  });

  const statusOf = (runId: string) => stack.db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
  let leftForOther: string;

  it("passes over a run it cannot run and takes the next one it can", async () => {
    leftForOther = (await stack.queue({ kind: "INSPECT", sourcePath: join(otherRoot, "there-fp8") })).id;
    const mine = await stack.queue({ kind: "INSPECT", sourcePath: join(stack.root, "here-fp8") });
    // Agents claim the oldest run they take first: the older run was passed over, not missed.
    expect(await stack.waitForEnd(mine.id)).toMatchObject({
      status: "SUCCEEDED",
      agentId: stack.tenant.agentId,
    });
    expect(await statusOf(leftForOther)).toMatchObject({ status: "QUEUED", agentId: null });
  });

  it("still takes a run pinned to it, and fails it saying why", async () => {
    const pinned = await stack.queue({
      kind: "INSPECT",
      sourcePath: join(otherRoot, "there-fp8"),
      agentId: stack.tenant.agentId,
    });
    const ended = await stack.waitForEnd(pinned.id);
    expect(ended).toMatchObject({ status: "FAILED", agentId: stack.tenant.agentId });
    expect(ended.error).toMatch(/is outside the allowed data roots/);
    expect(await statusOf(leftForOther)).toMatchObject({ status: "QUEUED", agentId: null });
  });

  it("leaves the run to the agent that can run it, which takes it when it connects", async () => {
    const { token, tokenHash, tokenPrefix } = generateAgentToken();
    const agent = await stack.db.prisma.agent.create({
      data: {
        teamId: stack.tenant.teamId,
        name: "other-host",
        tokenHash,
        tokenPrefix,
        createdById: stack.tenant.userId,
      },
    });
    other = startAgentProcess(join(stack.tmp, "other-agent"), {
      server: stack.server.url,
      token,
      roots: [otherRoot],
    });
    const ended = await stack.waitForEnd(leftForOther).catch((err: Error) => {
      throw new Error(`${err.message}\nother agent's log:\n${other?.output()}`);
    });
    expect(ended).toMatchObject({ status: "SUCCEEDED", agentId: agent.id });
  });
});
