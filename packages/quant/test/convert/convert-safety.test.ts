/**
 * What a path trick, a second run or a changed source must not break, tried as a user would, through
 * `fp4kit convert` (in process, or as child processes where two runs, a kill -9 or another mount
 * namespace are part of the case): the source is never written or deleted (links followed), one
 * conversion at a time writes a destination, a resume refuses a source that changed, an
 * interrupted overwrite never looks loadable, and file-system failures are one line naming the path.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, utimesSync } from "node:fs";
import { cp, mkdir, open, readdir, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import {
  type DestinationLock,
  LOCK_FILE,
  lockDestination,
  releaseDestinationLock,
} from "../../src/convert/destination-lock.ts";
import { loadCudaAddon } from "../../src/nvfp4/index.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { memoryIo, tempDir } from "../helpers.ts";
import { digestDir } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/fp4kit.js", import.meta.url));
const SHARD = "1MiB";

let root: string;
let cleanup: () => Promise<void>;
/** Small: for refusals. */
let src: string;
/** About 20 output shards with the TypeScript kernel: long enough to meet it mid-run. */
let large: string;
let largeReference: Record<string, string>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-safety"));
  src = join(root, "src");
  await generateCheckpoint({ family: "deepseek-v3", dir: src, layers: 4, routedExperts: 8, shards: 2 });
  large = join(root, "large");
  await generateCheckpoint({ family: "deepseek-v4", dir: large, routedExperts: 96, layers: 4, shards: 4 });
  const reference = join(root, "large-reference");
  await convertCheckpoint({ src: large, dst: reference, kernel: "ts", shardSizeBytes: 1 << 20 });
  largeReference = await digestDir(reference);
}, 120_000);
afterAll(() => cleanup());

/** `fp4kit convert ...` in this process: exit status and what it printed. */
async function convert(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo(root);
  const code = await runCli(["node", "fp4kit", "convert", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

/** One `error: ...` line and nothing of Node's (no stack trace, no error class). */
function expectOneLineError(err: string, message: RegExp | string): void {
  const lines = err.trimEnd().split("\n");
  const last = lines[lines.length - 1] as string;
  expect(last).toMatch(/^error: /);
  if (typeof message === "string") expect(last).toContain(message);
  else expect(last).toMatch(message);
  expect(err).not.toMatch(/\n\s+at |Error:/);
}

/** A copy of a source that a test may damage. */
async function sourceCopy(from: string, name: string): Promise<string> {
  const dir = join(root, name);
  await cp(from, dir, { recursive: true });
  return dir;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** `fp4kit convert ...` as a child process. */
function startConvert(
  args: string[],
): ChildProcess & { ended: Promise<{ code: number | null; err: string }> } {
  const child = spawn(process.execPath, [BIN, "convert", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  child.stdout?.resume();
  const ended = new Promise<{ code: number | null; err: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, err })),
  );
  return Object.assign(child, { ended });
}

/** Waits until `dst` holds a shard being written (`*.partial`). */
async function partialShardIn(dst: string, child: { exitCode: number | null }): Promise<void> {
  for (;;) {
    const names = await readdir(dst).catch(() => [] as string[]);
    if (names.some((n) => n.endsWith(".safetensors.partial"))) return;
    if (child.exitCode !== null) throw new Error("the conversion ended before writing a shard");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("source and destination compared by real path", { timeout: 60_000 }, () => {
  it("--overwrite into a link to the source is refused and deletes nothing", async () => {
    // cp -a v4 srccopy; ln -s srccopy srclink; fp4kit convert --src srccopy --dst srclink --overwrite
    const copy = await sourceCopy(src, "srccopy");
    const link = join(root, "srclink");
    await symlink(copy, link);
    const before = await digestDir(copy);
    const run = await convert("--src", copy, "--dst", link, "--overwrite");
    expect(run.code).toBe(1);
    expectOneLineError(run.err, `the destination ${link} is the source directory (${link} leads to ${copy})`);
    expect(await digestDir(copy)).toEqual(before);

    // The same folder through `..`, and the source given through the link.
    const dotted = await convert("--src", copy, "--dst", join(copy, "..", "srccopy"), "--overwrite");
    expect(dotted.code).toBe(1);
    expect(dotted.err).toMatch(/is the source directory/);
    const viaLink = await convert("--src", link, "--dst", copy, "--overwrite");
    expect(viaLink.code).toBe(1);
    expect(viaLink.err).toMatch(/is the source directory/);
    expect(await digestDir(copy)).toEqual(before);
  });

  it("a destination inside the source is refused, also through a link, and nothing is created there", async () => {
    const copy = await sourceCopy(src, "nesting-src");
    await mkdir(join(copy, "outputs"));
    const before = await digestDir(copy);
    const nested = await convert("--src", copy, "--dst", join(copy, "nvfp4"));
    expect(nested.code).toBe(1);
    expectOneLineError(nested.err, /is inside the source .*choose a destination outside the source$/);
    const link = join(root, "outputs-link");
    await symlink(join(copy, "outputs"), link);
    const viaLink = await convert("--src", copy, "--dst", join(link, "nvfp4"));
    expect(viaLink.code).toBe(1);
    expect(viaLink.err).toMatch(/is inside the source/);
    expect(await digestDir(copy)).toEqual(before);
    expect(await readdir(join(copy, "outputs"))).toEqual([]);
  });

  it("a destination holding the source is refused, --overwrite or not", async () => {
    const around = join(root, "around");
    const inner = await sourceCopy(src, join("around", "model"));
    const before = await digestDir(around);
    const run = await convert("--src", inner, "--dst", around, "--overwrite");
    expect(run.code).toBe(1);
    expectOneLineError(run.err, `the source ${inner} is inside the destination ${around}`);
    expect(await digestDir(around)).toEqual(before);
  });
});

describe("two runs into one destination", { timeout: 120_000 }, () => {
  const args = (dst: string) => ["--src", large, "--dst", dst, "--kernel", "ts", "--shard-size", SHARD];

  it("the second is refused naming the first's pid and host; the first ends with the bytes of a run alone", async () => {
    const dst = join(root, "race");
    const first = startConvert(args(dst));
    await partialShardIn(dst, first);
    const second = startConvert(args(dst));
    const refused = await second.ended;
    expect(refused.code).toBe(1);
    expectOneLineError(
      refused.err,
      `${dst} is in use by another conversion (process ${first.pid} on ${hostname()}, since `,
    );
    const done = await first.ended;
    expect(done.code, done.err).toBe(0);
    expect(await digestDir(dst)).toEqual(largeReference);
  });

  it("after kill -9, the next run takes the lock over (its process is gone) and resumes", async () => {
    const dst = join(root, "crashed");
    const crashed = startConvert(args(dst));
    await partialShardIn(dst, crashed);
    crashed.kill("SIGKILL");
    await crashed.ended;
    expect(await readdir(dst)).toContain(LOCK_FILE);
    const next = startConvert(args(dst));
    const done = await next.ended;
    expect(done.code, done.err).toBe(0);
    expect(done.err).toContain(`took over the lock of process ${crashed.pid}, which is gone`);
    expect(await digestDir(dst)).toEqual(largeReference);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "a run stopped by %s leaves no lock: the same command right after resumes to the bytes of a run alone",
    async (signal, status) => {
      const dst = join(root, `stopped-${signal}`);
      const stopped = startConvert(args(dst));
      await partialShardIn(dst, stopped);
      stopped.kill(signal);
      const end = await stopped.ended;
      expect(end.code, end.err).toBe(status);
      expect(end.err).toContain("re-run the same command to resume");
      expect(await readdir(dst)).not.toContain(LOCK_FILE);
      const again = await startConvert(args(dst)).ended;
      expect(again.code, again.err).toBe(0);
      expect(again.err).not.toMatch(/in use by another conversion|took over/);
      expect(await digestDir(dst)).toEqual(largeReference);
    },
  );

  it("a lock whose process was killed but not yet reaped (a zombie) is taken over", async () => {
    // A killed run whose parent died with it (`timeout -s KILL`) is a zombie until it is reaped, and
    // a zombie answers kill(pid, 0). Made here for certain: a child that exits under a parent that
    // never waits for it.
    if (!existsSync("/proc/self/stat")) return;
    const parent = spawn("sh", ["-c", 'sh -c "exit 0" & echo $!; exec sleep 30'], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      const zombie = Number(
        await new Promise<string>((ok) => parent.stdout.once("data", (d) => ok(String(d)))),
      );
      await expect
        .poll(() => readFile(`/proc/${zombie}/stat`, "utf8").then((s) => s.split(") ")[1]?.[0]))
        .toBe("Z");
      const dst = join(root, "zombie");
      await mkdir(dst);
      const holder = { pid: zombie, host: hostname(), startedAt: new Date().toISOString(), token: "x" };
      await writeFile(join(dst, LOCK_FILE), JSON.stringify(holder));
      const run = await convert("--src", src, "--dst", dst);
      expect(run.code, run.err).toBe(0);
      expect(run.err).toContain(`took over the lock of process ${zombie}, which is gone`);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("a lock of another host is honoured until it goes a minute without a refresh", async () => {
    const dst = join(root, "other-host");
    await mkdir(dst);
    const lock = join(dst, LOCK_FILE);
    const holder = { pid: 4242, host: "gpu-host-7", startedAt: "2026-01-01T00:00:00.000Z", token: "x" };
    await writeFile(lock, JSON.stringify(holder));
    const refused = await convert("--src", src, "--dst", dst);
    expect(refused.code).toBe(1);
    expectOneLineError(refused.err, "in use by another conversion (process 4242 on gpu-host-7");
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const run = await convert("--src", src, "--dst", dst);
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/took over the lock of process 4242 on gpu-host-7, not refreshed for 1\d\d s/);
    expect(await readdir(dst)).not.toContain(LOCK_FILE);
  });
});

describe("taking a stale lock over", () => {
  it("two runs at once: exactly one gets the destination, the other is refused naming it", async () => {
    for (let i = 0; i < 25; i++) {
      const dst = join(root, `takeover-${i}`);
      await mkdir(dst);
      const lock = join(dst, LOCK_FILE);
      await writeFile(
        lock,
        JSON.stringify({ pid: 1, host: "gone-host", startedAt: "2020-01-01T00:00:00Z", token: "x" }),
      );
      const old = new Date(Date.now() - 120_000);
      await utimes(lock, old, old);
      const [a, b] = await Promise.allSettled([lockDestination(dst), lockDestination(dst)]);
      const taken = [a, b].filter((r) => r.status === "fulfilled");
      const refused = [a, b].filter((r) => r.status === "rejected");
      expect(taken.length, `attempt ${i}`).toBe(1);
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/in use by another conversion/);
      await (taken[0] as PromiseFulfilledResult<DestinationLock>).value.release();
      expect(await readdir(dst)).toEqual([]);
    }
  });
});

describe("freeing a lock by its token", () => {
  it("removes the lock taken with that token, and never another conversion's", async () => {
    const dst = join(root, "release-by-token");
    await mkdir(dst);
    const held = await lockDestination(dst, "conversion-a");
    await releaseDestinationLock(dst, "conversion-b");
    expect(await readdir(dst)).toEqual([LOCK_FILE]);
    await expect(lockDestination(dst)).rejects.toThrow(/in use by another conversion/);
    await releaseDestinationLock(dst, "conversion-a");
    expect(await readdir(dst)).toEqual([]);
    // The holder's own release after that finds nothing of its own, and takes nothing else.
    const next = await lockDestination(dst, "conversion-c");
    await held.release();
    expect(await readdir(dst)).toEqual([LOCK_FILE]);
    await next.release();
    expect(await readdir(dst)).toEqual([]);
  });
});

describe("a source that changed since the destination's shards were made", { timeout: 60_000 }, () => {
  it("is refused on re-run, naming the file, until --overwrite converts from the start", async () => {
    const copy = await sourceCopy(src, "changing-src");
    const dst = join(root, "changing-dst");
    expect((await convert("--src", copy, "--dst", dst, "--shard-size", SHARD)).code).toBe(0);

    // Same size, same header: bytes of one tensor rewritten in place.
    const checkpoint = await Checkpoint.open(copy);
    const shard = checkpoint.shards[0];
    if (shard === undefined) throw new Error("no shard");
    const handle = await open(checkpoint.shardPath(shard.file), "r+");
    await handle.write(Uint8Array.of(0x11, 0x22), 0, 2, shard.header.dataStart);
    await handle.close();

    const resumed = await convert("--src", copy, "--dst", dst, "--shard-size", SHARD);
    expect(resumed.code).toBe(1);
    expectOneLineError(
      resumed.err,
      new RegExp(
        `the source changed since the conversion in .* began: ${shard.file} was modified .*would mix old and new data: run again with --overwrite`,
      ),
    );
    const again = await convert("--src", copy, "--dst", dst, "--shard-size", SHARD, "--overwrite", "--json");
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out).shards.every((s: { resumed: boolean }) => !s.resumed)).toBe(true);
    const fresh = join(root, "changed-fresh");
    expect((await convert("--src", copy, "--dst", fresh, "--shard-size", SHARD)).code).toBe(0);
    expect(await digestDir(dst)).toEqual(await digestDir(fresh));
  });
});

describe("a source rewritten during the conversion", { timeout: 60_000 }, () => {
  it("fails before anything loadable is written, naming the file", async () => {
    const copy = await sourceCopy(src, "rewritten-src");
    const dst = join(root, "rewritten-dst");
    const checkpoint = await Checkpoint.open(copy);
    const last = checkpoint.shards.at(-1)?.file as string;
    let touched = false;
    const run = convertCheckpoint(
      { src: copy, dst, kernel: "ts", shardSizeBytes: 1 << 20 },
      {
        onProgress: (e) => {
          if (e.type !== "shard" || touched) return;
          touched = true;
          const later = new Date(Date.now() + 5_000);
          utimesSync(checkpoint.shardPath(last), later, later);
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: "SOURCE_CHANGED", file: checkpoint.shardPath(last) });
    await expect(run).rejects.toThrow(
      new RegExp(
        `the source changed during the conversion: ${last} was modified .*run again with --overwrite`,
      ),
    );
    expect((await readdir(dst)).filter((f) => f === "config.json" || f.endsWith(".index.json"))).toEqual([]);
  });
});

describe("--overwrite", { timeout: 120_000 }, () => {
  it("killed -9 at its first shard, leaves no config, index or report of the previous conversion", async () => {
    const dst = join(root, "overwritten");
    await convertCheckpoint({ src: large, dst, kernel: "ts", shardSizeBytes: 4 << 20 });
    expect(await readdir(dst)).toContain("config.json");
    const run = startConvert([
      "--src",
      large,
      "--dst",
      dst,
      "--kernel",
      "ts",
      "--shard-size",
      SHARD,
      "--overwrite",
    ]);
    await partialShardIn(dst, run);
    run.kill("SIGKILL");
    await run.ended;
    const left = await readdir(dst);
    expect(left).not.toContain("config.json");
    expect(left.filter((f) => f.endsWith(".index.json") || f.startsWith("fp4kit-quality"))).toEqual([]);
    // The previous conversion's shards (4 MiB ones) are gone too.
    expect(left.filter((f) => /-of-0000[1-9]\.safetensors$/.test(f))).toEqual([]);
  });
});

describe("file-system failures are one line naming the path", { timeout: 60_000 }, () => {
  it("a file where the destination folder should be (EEXIST), or above it (ENOTDIR)", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a folder");
    const eexist = await convert("--src", src, "--dst", file);
    expect(eexist.code).toBe(1);
    expectOneLineError(
      eexist.err,
      `error: ${file} is a file where a folder is needed: move it away, or choose another destination`,
    );
    const enotdir = await convert("--src", src, "--dst", join(file, "nvfp4"));
    expect(enotdir.code).toBe(1);
    expectOneLineError(enotdir.err, /goes through a file where a folder is needed/);
  });

  it("a destination that cannot be made under a pseudo file system (/proc) is refused, not waited on forever", async () => {
    if (!existsSync("/proc/self")) return;
    const run = await convert("--src", src, "--dst", "/proc/fp4kit-nvfp4");
    expect(run.code).toBe(1);
    expectOneLineError(run.err, /^error: \/proc\/fp4kit-nvfp4: no such file or folder .*: check the path$/);
  });

  it("a missing config.json is refused before the destination is made", async () => {
    const copy = await sourceCopy(src, "no-config");
    await rm(join(copy, "config.json"));
    const dst = join(root, "no-config-out");
    const run = await convert("--src", copy, "--dst", dst);
    expect(run.code).toBe(1);
    expectOneLineError(run.err, `${copy} has no config.json: engines read the model's architecture`);
    await expect(readdir(dst)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

/** A shell in a mount namespace of its own (user namespaces), where a test may mount a small tmpfs. */
function canMount(): boolean {
  try {
    execFileSync("unshare", ["-Urm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!canMount())(
  "read-only and full disks (a tmpfs in a mount namespace)",
  { timeout: 60_000 },
  () => {
    /** Runs `script` with $MNT a fresh tmpfs of `size` (then remounted read-only when asked) and $FP4KIT the CLI. */
    function inNamespace(size: string, readOnly: boolean, script: string): { code: number; out: string } {
      const mnt = join(root, `mnt-${Math.random().toString(36).slice(2)}`);
      const setup = `mkdir -p ${mnt} && mount -t tmpfs -o size=${size} tmpfs ${mnt}${readOnly ? ` && mount -o remount,ro ${mnt}` : ""}`;
      try {
        const out = execFileSync("unshare", ["-Urm", "sh", "-c", `${setup} && { ${script}; } 2>&1`], {
          env: { ...process.env, MNT: mnt, FP4KIT: `${process.execPath} ${BIN}` },
          encoding: "utf8",
        });
        return { code: 0, out };
      } catch (error) {
        const e = error as { status: number; stdout: string };
        return { code: e.status, out: e.stdout };
      }
    }

    it("EROFS: the destination on a read-only disk", () => {
      const run = inNamespace("1m", true, `$FP4KIT convert --src ${src} --dst $MNT/out`);
      expect(run.code).toBe(1);
      expectOneLineError(
        run.out,
        /\/out is on a read-only file system: choose a destination on a writable disk$/,
      );
    });

    it("ENOSPC: a disk that fills up mid-shard; no partial file is left", () => {
      const run = inNamespace(
        "1m",
        false,
        `$FP4KIT convert --src ${src} --dst $MNT/out --shard-size 4MiB; echo "exit $?"; ls -a $MNT/out`,
      );
      const [conversion = "", listing = ""] = run.out.split(/^exit /m);
      expectOneLineError(
        conversion,
        /^error: no space left on the disk of .*\/out: free space or choose another destination \(a re-run resumes from the complete shards\)$/m,
      );
      expect(listing.split("\n")[0]).toBe("1");
      expect(listing).not.toMatch(/\.partial|\.tmp/);
    });
  },
);

const cuda = loadCudaAddon();
const gpu = cuda.ok && cuda.addon.probe().ok;
describe.skipIf(gpu)("--kernel cuda without a usable GPU (skipped where one answers)", () => {
  it("is one line naming the flag, and leaves no destination (no manifest) behind", async () => {
    const dst = join(root, "no-gpu");
    const run = await convert("--src", src, "--dst", dst, "--kernel", "cuda");
    expect(run.code).toBe(1);
    expectOneLineError(
      run.err,
      /^error: --kernel cuda: NVFP4 kernel "cuda" is not usable: .*; choose --kernel auto/,
    );
    await expect(readdir(dst)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
