import { execFile } from "node:child_process";
import { access, chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase, startEmbeddedPostgres } from "../src/index.ts";
import { createTestDatabase } from "../src/testing/index.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fp4kit-embedded-test-"));
  await chmod(root, 0o755); // the "postgres" user must enter it when tests run as root
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Object.values((await client.query(sql)).rows[0] ?? {})[0];
  } finally {
    await client.end();
  }
}

const portOf = (url: string) => Number(new URL(url).port);

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

async function refusesConnections(url: string): Promise<boolean> {
  try {
    await scalar(url, "SELECT 1");
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ECONNREFUSED";
  }
}

// initdb and server start-ups take a second or more each on a busy machine.
describe("startEmbeddedPostgres", { timeout: 60_000 }, () => {
  it("keeps data and port across restarts, and moves to a free port when its own is taken", async () => {
    const dataDir = join(root, "restart");
    const first = await startEmbeddedPostgres({ dataDir });
    await scalar(first.connectionString, "CREATE TABLE kept AS SELECT 42 AS answer");
    await first.stop();
    await first.stop(); // idempotent

    const second = await startEmbeddedPostgres({ dataDir });
    expect(portOf(second.connectionString)).toBe(portOf(first.connectionString));
    expect(await scalar(second.connectionString, "SELECT answer FROM kept")).toBe(42);
    await second.stop();

    const squatter = await listen(portOf(first.connectionString));
    try {
      const third = await startEmbeddedPostgres({ dataDir });
      expect(portOf(third.connectionString)).not.toBe(portOf(first.connectionString));
      expect(await scalar(third.connectionString, "SELECT answer FROM kept")).toBe(42);
      await third.stop();
    } finally {
      squatter.close();
    }
  });

  it("does not outlive a process that exits without stopping it", async () => {
    const dataDir = join(root, "orphan");
    const fixture = join(import.meta.dirname, "fixtures/exit-without-stop.ts");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", fixture, dataDir]);
    const url = stdout.trim();
    expect(url).toMatch(/^postgresql:\/\//);
    // The exit hook asked for a fast shutdown; PostgreSQL removes its pid file when it is done.
    while (
      await access(join(dataDir, "postmaster.pid")).then(
        () => true,
        () => false,
      )
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await refusesConnections(url)).toBe(true);
  });
});

describe("openDatabase", { timeout: 60_000 }, () => {
  it("starts, migrates and reopens the embedded server when DATABASE_URL is unset", async () => {
    vi.stubEnv("DATABASE_URL", "");
    try {
      const dataDir = join(root, "open");
      const messages: string[] = [];
      const first = await openDatabase({ dataDir, log: (message) => messages.push(message) });
      expect(first.embedded).toBe(true);
      expect(messages.some((message) => message.startsWith("applied migration"))).toBe(true);
      await first.prisma.team.create({ data: { name: "Local", slug: "local" } });
      await first.close();
      expect(await refusesConnections(first.connectionString)).toBe(true);

      const second = await openDatabase({ dataDir });
      expect(await second.prisma.team.findUnique({ where: { slug: "local" } })).toMatchObject({
        name: "Local",
      });
      await second.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("uses DATABASE_URL when set, starting nothing", async () => {
    const database = await createTestDatabase({ empty: true });
    vi.stubEnv("DATABASE_URL", database.connectionString);
    try {
      const opened = await openDatabase({ dataDir: join(root, "never-created") });
      expect(opened.embedded).toBe(false);
      expect(await opened.prisma.run.count()).toBe(0);
      await opened.close();
      await expect(access(join(root, "never-created"))).rejects.toThrow();
    } finally {
      vi.unstubAllEnvs();
      await database.drop();
    }
  });
});
