import { hashAgentToken } from "@fp4kit/db";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTestDatabase } from "../support/test-db";
import { createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

describe("agents.list", () => {
  it("lists the team's agents with online state and parsed capabilities", async () => {
    const agents = await w.as(w.viewerA).agents.list({ teamId: w.teamA.id });
    expect(agents.map((a) => a.name)).toEqual(["gpu-a"]);
    expect(agents[0]).toMatchObject({ online: true, runningRuns: 0 });
    expect(agents[0]?.capabilities?.roots[0]?.path).toBe("/data");
    expect(agents[0]).not.toHaveProperty("tokenHash");
  });

  it("refuses other teams", async () => {
    await expectTrpcError(w.as(w.ownerB).agents.list({ teamId: w.teamA.id }), "FORBIDDEN");
  });
});

describe("agents.create", () => {
  it("returns the token once and stores only its hash", async () => {
    const { agent, token } = await w.as(w.ownerA).agents.create({ teamId: w.teamA.id, name: "b200-node-01" });
    expect(token).toMatch(/^fp4a_[A-Za-z0-9_-]{43}$/);
    const stored = await database.current.prisma.agent.findUniqueOrThrow({ where: { id: agent.id } });
    expect(stored.tokenHash).toBe(hashAgentToken(token));
    expect(token.startsWith(stored.tokenPrefix)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("is for owners only", async () => {
    await expectTrpcError(w.as(w.memberA).agents.create({ teamId: w.teamA.id, name: "x" }), "FORBIDDEN");
    await expectTrpcError(w.as(w.viewerA).agents.create({ teamId: w.teamA.id, name: "x" }), "FORBIDDEN");
    await expectTrpcError(w.as(w.ownerB).agents.create({ teamId: w.teamA.id, name: "x" }), "FORBIDDEN");
  });
});

describe("agents.revoke", () => {
  it("revokes the token and disconnects the agent", async () => {
    const { agent } = await w.as(w.ownerA).agents.create({ teamId: w.teamA.id, name: "to-revoke" });
    await w.as(w.ownerA).agents.revoke({ teamId: w.teamA.id, agentId: agent.id });
    const stored = await database.current.prisma.agent.findUniqueOrThrow({ where: { id: agent.id } });
    expect(stored.revokedAt).not.toBeNull();
    expect(w.calls.revoked).toContain(agent.id);
    const listed = await w.as(w.ownerA).agents.list({ teamId: w.teamA.id });
    expect(listed.map((a) => a.id)).not.toContain(agent.id);
    const all = await w.as(w.ownerA).agents.list({ teamId: w.teamA.id, includeRevoked: true });
    expect(all.find((a) => a.id === agent.id)?.online).toBe(false);
  });

  it("cannot touch another team's agent", async () => {
    await expectTrpcError(
      w.as(w.ownerA).agents.revoke({ teamId: w.teamA.id, agentId: w.agentB.id }),
      "NOT_FOUND",
    );
    await expectTrpcError(
      w.as(w.memberA).agents.revoke({ teamId: w.teamA.id, agentId: w.agentA.id }),
      "FORBIDDEN",
    );
    expect(
      (await database.current.prisma.agent.findUniqueOrThrow({ where: { id: w.agentB.id } })).revokedAt,
    ).toBeNull();
  });
});
