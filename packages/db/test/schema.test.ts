import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/index.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.ts";

const prismaCli = join(
  dirname(createRequire(import.meta.url).resolve("prisma/package.json")),
  "build/index.js",
);

/**
 * Runs the real Prisma CLI from the repository root: prisma.config.ts supplies the schema, the
 * migrations folder and, offline, the wasm schema engine (tools/prisma-engine-standin).
 */
async function prisma(databaseUrl: string, ...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [prismaCli, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: "1" },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

const diffAgainstSchema = (url: string) =>
  prisma(
    url,
    "migrate",
    "diff",
    "--from-config-datasource",
    "--to-schema",
    "prisma/schema.prisma",
    "--exit-code",
  );

// Each check starts the Prisma CLI and its wasm engine: seconds, more on a busy machine.
describe("the committed migrations against prisma/schema.prisma", { timeout: 60_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    // A template copy: migrated by packages/db's own runner in the global setup.
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it("produce exactly the schema (Prisma's engine finds no difference)", async () => {
    const result = await diffAgainstSchema(database.connectionString);
    expect(result.output).toContain("No difference detected.");
    expect(result.code).toBe(0);
  });

  it("are recorded so that `prisma migrate status` agrees", async () => {
    const result = await prisma(database.connectionString, "migrate", "status");
    expect(result.output).toContain("Database schema is up to date!");
    expect(result.code).toBe(0);
  });

  it("the difference check notices a drifted database", async () => {
    const drifted = await createTestDatabase();
    try {
      await drifted.prisma.$executeRawUnsafe('DROP INDEX "run_status_createdAt_idx"');
      const result = await diffAgainstSchema(drifted.connectionString);
      expect(result.output).toContain("Added index on columns (status, createdAt)");
      expect(result.code).toBe(2);
    } finally {
      await drifted.drop();
    }
  });
});

describe("every model round-trips through the Prisma client", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it("keeps enums, BigInt beyond 2^53, Json, floats and relations", async () => {
    const { prisma } = database;
    const user = await prisma.user.create({ data: { id: "u1", name: "Ada", email: "ada@example.com" } });
    await prisma.session.create({
      data: { id: "s1", token: "t", expiresAt: new Date("2030-01-01T00:00:00Z"), userId: user.id },
    });
    await prisma.account.create({
      data: { id: "a1", accountId: "ada", providerId: "credential", userId: user.id },
    });
    await prisma.verification.create({
      data: { id: "v1", identifier: "ada", value: "x", expiresAt: new Date("2030-01-01T00:00:00Z") },
    });
    const team = await prisma.team.create({
      data: { name: "Team", slug: "team", memberships: { create: { userId: user.id, role: "OWNER" } } },
    });
    await prisma.invitation.create({
      data: { teamId: team.id, role: "VIEWER", tokenHash: "h", createdById: user.id, expiresAt: new Date() },
    });
    const capabilities = { gpus: [{ name: "H100", memoryBytes: 85_899_345_920 }], cuda: "13.0" };
    const agent = await prisma.agent.create({
      data: {
        teamId: team.id,
        name: "gpu-1",
        tokenHash: "th",
        tokenPrefix: "fp4a_",
        createdById: user.id,
        capabilities,
      },
    });
    const inputBytes = 2n ** 60n + 7n;
    const run = await prisma.run.create({
      data: {
        teamId: team.id,
        kind: "CONVERT",
        model: "demo",
        sourcePath: "/data/demo",
        options: { format: "compressed-tensors", ignore: ["lm_head"] },
        agentId: agent.id,
        createdById: user.id,
        progress: 0.25,
        inputBytes,
        logLines: { create: { seq: 1, ts: new Date(), stream: "STDERR", line: "warming up" } },
        metrics: { create: { seq: 2, ts: new Date(), values: { gbPerSecond: 1.5 } } },
        artifacts: { create: { kind: "SHARD_LIST", json: ["a.safetensors"], sizeBytes: 17 } },
      },
    });
    await prisma.run.create({
      data: {
        teamId: team.id,
        kind: "CONVERT",
        model: "demo",
        sourcePath: "/data/demo",
        options: {},
        createdById: user.id,
        retryOfId: run.id,
        attempt: 2,
      },
    });

    const read = await prisma.run.findUniqueOrThrow({
      where: { id: run.id },
      include: {
        agent: true,
        logLines: true,
        metrics: true,
        artifacts: true,
        retries: true,
        team: { include: { memberships: true } },
      },
    });
    expect(read.status).toBe("QUEUED");
    expect(read.inputBytes).toBe(inputBytes);
    expect(read.progress).toBe(0.25);
    expect(read.options).toEqual({ format: "compressed-tensors", ignore: ["lm_head"] });
    expect(read.agent?.capabilities).toEqual(capabilities);
    expect(read.logLines.map((line) => [line.seq, line.stream, line.line])).toEqual([
      [1, "STDERR", "warming up"],
    ]);
    expect(read.metrics[0]?.values).toEqual({ gbPerSecond: 1.5 });
    expect(read.artifacts[0]).toMatchObject({ kind: "SHARD_LIST", json: ["a.safetensors"], sizeBytes: 17 });
    expect(read.retries.map((retry) => retry.attempt)).toEqual([2]);
    expect(read.team.memberships).toMatchObject([{ userId: "u1", role: "OWNER" }]);

    // Deleting the agent keeps its runs (SET NULL); deleting the team cascades to everything in it.
    await prisma.agent.delete({ where: { id: agent.id } });
    expect((await prisma.run.findUniqueOrThrow({ where: { id: run.id } })).agentId).toBeNull();
    await prisma.team.delete({ where: { id: team.id } });
    expect(await prisma.run.count()).toBe(0);
    expect(await prisma.runLogLine.count()).toBe(0);
  });

  it("has the socket.io adapter's attachments table", async () => {
    const payload = Buffer.from([0, 1, 2, 255]);
    const [row] = await database.prisma.$queryRaw<{ id: bigint; payload: Uint8Array; created_at: Date }[]>`
      INSERT INTO socket_io_attachments (payload) VALUES (${payload}) RETURNING id, payload, created_at`;
    expect(typeof row?.id).toBe("bigint");
    expect(Buffer.from(row?.payload ?? [])).toEqual(payload);
    expect(row?.created_at).toBeInstanceOf(Date);
  });
});
