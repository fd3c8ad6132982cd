import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupIsAlive } from "../start/child-process.ts";
import {
  ensureLocalAgent,
  LOCAL_AGENT_NAME,
  LOCAL_TEAM,
  SYSTEM_USER,
  startLocalAgent,
} from "../start/local-agent.ts";

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

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("startLocalAgent", () => {
  it("brings the local agent back when it is killed, and says so", { timeout: 90_000 }, async () => {
    // Stands in for the web app: counts the agent's connection attempts (it keeps retrying).
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await mkdir(join(dir, "checkpoints"), { recursive: true });
    const said: string[] = [];
    const agent = startLocalAgent({
      serverUrl: `http://127.0.0.1:${port}`,
      token: "fp4a_not-checked-by-this-server",
      checkpointsDir: join(dir, "checkpoints"),
      spoolDir: join(dir, "agent-spool"),
      say: (m) => said.push(m),
      backoff: { firstMs: 200, maxMs: 1_000, resetAfterMs: 60_000 },
    });
    try {
      await until("the agent to try the server", () => connections > 0);
      const first = agent.current?.pid as number;
      process.kill(first, "SIGKILL");

      const restarted = await until("the agent to be restarted", () =>
        said.find((m) => m.startsWith("the local agent restarted")),
      );
      expect(said[0]).toBe("the local agent exited (SIGKILL); restarting it in 200 ms");
      const second = agent.current?.pid as number;
      expect(restarted).toBe(`the local agent restarted (pid ${second})`);
      expect(second).not.toBe(first);
      // The new process is the agent at work again: it tries the server anew.
      const before = connections;
      await until("the restarted agent to try the server", () => connections > before);
      expect(groupIsAlive(second)).toBe(true);

      await agent.stop();
      expect(groupIsAlive(second)).toBe(false);
      expect(said).toHaveLength(2); // stopping is not an exit to restart from
    } finally {
      agent.kill();
      server.close();
    }
  });
});
