/**
 * What a path trick, a second run or a changed source must not break: the source is never written
 * or deleted (links followed), one conversion at a time writes a destination, a resume refuses a
 * source that changed, an interrupted overwrite never looks loadable, and file-system failures
 * are one line naming the path.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, open, readdir, symlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { LOCK_FILE } from "../../src/convert/destination-lock.ts";
import { fileSystemError } from "../../src/convert/fs-errors.ts";
import { loadCudaAddon } from "../../src/nvfp4/index.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { memoryIo, tempDir } from "../helpers.ts";
import { digestDir } from "./helpers.ts";

const SHARD = 1 << 20;
let root: string;
let cleanup: () => Promise<void>;
let src: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-safety"));
  src = join(root, "src");
  await generateCheckpoint({ family: "deepseek-v3", dir: src, layers: 4, routedExperts: 8, shards: 2 });
});
afterAll(() => cleanup());

/** A copy of the source that a test may damage. */
async function sourceCopy(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(src, dir, { recursive: true });
  return dir;
}

describe("source and destination by real path", { timeout: 60_000 }, () => {
  it("refuses a destination that is a link to the source, even with --overwrite, and deletes nothing", async () => {
    const copy = await sourceCopy("linked-src");
    const link = join(root, "linked-dst");
    await symlink(copy, link);
    const before = await digestDir(copy);
    const run = convertCheckpoint({ src: copy, dst: link, kernel: "ts", overwrite: true });
    await expect(run).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(run).rejects.toThrow(/is the source directory .*leads to/);
    expect(await digestDir(copy)).toEqual(before);
  });

  it("refuses a destination inside the source, and creates nothing there", async () => {
    const copy = await sourceCopy("nesting-src");
    const before = await readdir(copy);
    const run = convertCheckpoint({ src: copy, dst: join(copy, "nvfp4"), kernel: "ts" });
    await expect(run).rejects.toThrow(/is inside the source/);
    expect(await readdir(copy)).toEqual(before);
  });
});

describe("the destination lock", { timeout: 60_000 }, () => {
  let holder: ChildProcess | undefined;
  afterAll(() => holder?.kill("SIGKILL"));

  it("refuses a destination another run holds, naming its process and host, and takes over once it is gone", async () => {
    const dst = join(root, "locked");
    await mkdir(dst, { recursive: true });
    holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const pid = holder.pid as number;
    await writeFile(
      join(dst, LOCK_FILE),
      JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString(), token: "other-run" }),
    );
    const run = convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
    await expect(run).rejects.toMatchObject({ code: "DESTINATION" });
    await expect(run).rejects.toThrow(`in use by another conversion (process ${pid} on ${hostname()}`);
    expect(await readdir(dst)).toEqual([LOCK_FILE]);

    const exited = new Promise((resolve) => holder?.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
    const logs: string[] = [];
    const result = await convertCheckpoint(
      { src, dst, kernel: "ts", shardSizeBytes: SHARD },
      { onLog: (line) => logs.push(line) },
    );
    expect(result.shards.length).toBeGreaterThan(1);
    expect(logs.some((l) => l.includes(`took over the lock of process ${pid}, which is gone`))).toBe(true);
    expect(await readdir(dst)).not.toContain(LOCK_FILE); // released
  });

  it("treats a lock not refreshed for a minute as stale (a run that crashed on another host)", async () => {
    const dst = join(root, "stale-elsewhere");
    await mkdir(dst, { recursive: true });
    const lock = join(dst, LOCK_FILE);
    await writeFile(
      lock,
      JSON.stringify({ pid: 1, host: "another-host", startedAt: "2020-01-01T00:00:00.000Z", token: "x" }),
    );
    await expect(convertCheckpoint({ src, dst, kernel: "ts" })).rejects.toThrow(
      "in use by another conversion (process 1 on another-host",
    );
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    await expect(convertCheckpoint({ src, dst, kernel: "ts" })).resolves.toBeDefined();
  });
});

describe("resuming from a source that changed", { timeout: 60_000 }, () => {
  it("is refused, naming the file, until --overwrite", async () => {
    const copy = await sourceCopy("changing-src");
    const dst = join(root, "changing-dst");
    const abort = new AbortController();
    const first = convertCheckpoint(
      { src: copy, dst, kernel: "ts", shardSizeBytes: SHARD, shardsInFlight: 1 },
      { signal: abort.signal, onProgress: (e) => e.type === "shard" && abort.abort() },
    );
    await expect(first).rejects.toMatchObject({ code: "ABORTED" });

    // Same size, same header: bytes of one tensor rewritten in place.
    const checkpoint = await Checkpoint.open(copy);
    const shard = checkpoint.shards[0];
    if (shard === undefined) throw new Error("no shard");
    const handle = await open(checkpoint.shardPath(shard.file), "r+");
    await handle.write(Uint8Array.of(0x11, 0x22), 0, 2, shard.header.dataStart);
    await handle.close();

    const resumed = convertCheckpoint({
      src: copy,
      dst,
      kernel: "ts",
      shardSizeBytes: SHARD,
      shardsInFlight: 1,
    });
    await expect(resumed).rejects.toMatchObject({ code: "SOURCE_CHANGED" });
    await expect(resumed).rejects.toThrow(
      new RegExp(`${shard.file} was modified .*would mix old and new data: run again with --overwrite`),
    );
    const again = await convertCheckpoint({
      src: copy,
      dst,
      kernel: "ts",
      shardSizeBytes: SHARD,
      overwrite: true,
    });
    expect(again.shards.every((s) => !s.resumed)).toBe(true);
  });
});

describe("--overwrite", { timeout: 60_000 }, () => {
  it("removes what a loader reads first, so an interrupted overwrite never looks loadable", async () => {
    const dst = join(root, "overwritten");
    await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
    expect(await readdir(dst)).toContain("config.json");
    const abort = new AbortController();
    const run = convertCheckpoint(
      { src, dst, kernel: "ts", shardSizeBytes: 2 * SHARD, overwrite: true },
      { signal: abort.signal, onProgress: () => abort.abort() },
    );
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    const left = await readdir(dst);
    expect(left).not.toContain("config.json");
    expect(left.filter((f) => f.endsWith(".index.json") || f.startsWith("fp4kit-quality"))).toEqual([]);
  });
});

describe("file-system failures", { timeout: 60_000 }, () => {
  it("a file where the destination folder should be: one line naming it", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a folder");
    await expect(convertCheckpoint({ src, dst: file, kernel: "ts" })).rejects.toMatchObject({
      code: "FILESYSTEM",
      file,
      message: `${file} is a file where a folder is needed: move it away, or choose another destination`,
    });
    const below = join(file, "nvfp4");
    await expect(convertCheckpoint({ src, dst: below, kernel: "ts" })).rejects.toMatchObject({
      code: "FILESYSTEM",
      message: expect.stringMatching(/goes through a file where a folder is needed/),
    });

    const io = memoryIo(root);
    expect(await runCli(["node", "fp4kit", "convert", "--src", src, "--dst", file], io)).toBe(1);
    expect(io.err()).toMatch(/is a file where a folder is needed/);
    expect(io.err()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("read-only disks and full disks name the path and what to do", () => {
    const erofs = Object.assign(new Error("EROFS: read-only file system, open '/ro/x'"), {
      code: "EROFS",
      path: "/ro/x",
    });
    expect(fileSystemError(erofs, "/ro")?.message).toBe(
      "/ro/x is on a read-only file system: choose a destination on a writable disk",
    );
    // A write on an open file names no path: the destination is named instead.
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    expect(fileSystemError(enospc, "/data/out")).toMatchObject({
      code: "FILESYSTEM",
      file: "/data/out",
      message: expect.stringMatching(/^no space left on the disk of \/data\/out: free space/),
    });
  });
});

const cuda = loadCudaAddon();
const gpu = cuda.ok && cuda.addon.probe().ok;
describe.skipIf(gpu)("--kernel cuda without a usable GPU (skipped where one answers)", () => {
  it("fails before the destination is touched", async () => {
    const dst = join(root, "no-gpu");
    await expect(convertCheckpoint({ src, dst, kernel: "cuda" })).rejects.toThrow();
    await expect(readdir(dst)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
