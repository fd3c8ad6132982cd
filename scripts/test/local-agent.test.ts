import { createHash } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLocalAgent, LOCAL_AGENT_NAME, LOCAL_TEAM, SYSTEM_USER } from "../start/local-agent.ts";

let database: TestDatabase;
let dir: string;
beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "fp4kit-local-agent-"));
});
afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("ensureLocalAgent", () => {
  it("creates the Local team, its system owner and an agent whose token only the file knows", async () => {
    const tokenFile = join(dir, "first.json");
    const agent = await ensureLocalAgent(database.prisma, tokenFile);

    const stored = await database.prisma.agent.findUniqueOrThrow({
      where: { id: agent.agentId },
      include: { team: true },
    });
    expect(stored).toMatchObject({
      name: LOCAL_AGENT_NAME,
      team: { slug: LOCAL_TEAM.slug, name: LOCAL_TEAM.name },
    });
    expect(stored.tokenHash).toBe(createHash("sha256").update(agent.token).digest("hex"));
    expect(agent.token.startsWith(stored.tokenPrefix)).toBe(true);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    const owner = await database.prisma.membership.findFirstOrThrow({
      where: { teamId: stored.teamId },
      include: { user: true },
    });
    expect(owner).toMatchObject({ role: "OWNER", user: { email: SYSTEM_USER.email } });
    expect(await database.prisma.account.count({ where: { userId: owner.userId } })).toBe(0); // no password

    // A second start reuses everything.
    expect(await ensureLocalAgent(database.prisma, tokenFile)).toEqual(agent);
    expect(await database.prisma.agent.count()).toBe(1);
    expect(await database.prisma.team.count()).toBe(1);
  });

  it("respects a revocation made in the web app, and makes a new agent when the token is lost", async () => {
    const tokenFile = join(dir, "second.json");
    const agent = await ensureLocalAgent(database.prisma, tokenFile);
    await database.prisma.agent.update({ where: { id: agent.agentId }, data: { revokedAt: new Date() } });
    expect(await ensureLocalAgent(database.prisma, tokenFile)).toMatchObject({
      agentId: agent.agentId,
      revoked: true,
    });

    const replacement = await ensureLocalAgent(database.prisma, join(dir, "lost.json"));
    expect(replacement.agentId).not.toBe(agent.agentId);
    expect(replacement.revoked).toBe(false);
  });
});
