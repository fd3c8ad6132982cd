import { spawn } from "node:child_process";
import { once } from "node:events";
import { access, chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDatabaseHost } from "../start/start-database.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fp4kit-db-host-test-"));
  await chmod(root, 0o755); // the "postgres" user must enter it when tests run as root
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function untilGone(file: string): Promise<void> {
  while (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    await sleep(50);
}

describe("the database host of npm start", () => {
  it("serves until stopped, then the server is down and its data dir released", async () => {
    const dataDir = join(root, "stop");
    const database = await startDatabaseHost(dataDir);
    expect(await answers(database.connectionString)).toBe(true);
    await database.stop();
    await expect(access(join(dataDir, "postmaster.pid"))).rejects.toThrow();
    expect(await answers(database.connectionString)).toBe(false);
  });

  it("stops PostgreSQL when npm start dies without a chance to clean up (SIGKILL)", async () => {
    const dataDir = join(root, "lifeline");
    const fixture = join(import.meta.dirname, "fixtures/orchestrator.ts");
    const orchestrator = spawn(process.execPath, ["--import", "tsx", fixture, dataDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let url: string;
    try {
      [url] = (await once(createInterface({ input: orchestrator.stdout }), "line")) as [string];
      expect(await answers(url)).toBe(true);
    } finally {
      orchestrator.kill("SIGKILL");
    }
    // The host sees its IPC channel close and shuts PostgreSQL down, which removes its pid file.
    await untilGone(join(dataDir, "postmaster.pid"));
    expect(await answers(url)).toBe(false);
  });
});
