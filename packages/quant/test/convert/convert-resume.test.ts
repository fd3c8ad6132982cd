/**
 * Resuming: a re-run after an abort, a corrupted shard, or kill -9 at any moment (the CLI as a child
 * process) ends with exactly the bytes of an uninterrupted run; a destination holding another
 * conversion is refused unless overwrite.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { ConvertError } from "../../src/convert/errors.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";
import { digestDir } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/fp4kit.js", import.meta.url));
const SHARD = 1 << 20;

let root: string;
let cleanup: () => Promise<void>;
let src: string;
let reference: Record<string, string>;
/** Shard files of the reference output, in order. */
let shardFiles: string[];

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-resume"));
  src = join(root, "src");
  await generateCheckpoint({ family: "deepseek-v4", dir: src, routedExperts: 24, layers: 4, shards: 4 });
  const dst = join(root, "reference");
  await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
  reference = await digestDir(dst);
  shardFiles = Object.keys(reference)
    .filter((f) => f.endsWith(".safetensors"))
    .sort();
}, 60_000);
afterAll(() => cleanup());

describe("resume", { timeout: 60_000 }, () => {
  it("continues after an abort and keeps the shards already complete", async () => {
    const dst = join(root, "aborted");
    const abort = new AbortController();
    const run = convertCheckpoint(
      { src, dst, kernel: "ts", shardSizeBytes: SHARD },
      { signal: abort.signal, onProgress: (e) => e.type === "shard" && abort.abort() },
    );
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect((await readdir(dst)).some((f) => f.endsWith(".partial"))).toBe(false);

    const resumed = await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
    expect(shardFiles.length).toBeGreaterThan(4);
    expect(resumed.shards.filter((s) => s.resumed).map((s) => s.file)).toEqual([shardFiles[0]]);
    expect(await digestDir(dst)).toEqual(reference);
  });

  it("rewrites a shard whose bytes no longer match the manifest, and only that one", async () => {
    const dst = join(root, "corrupted");
    await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
    const [flipped, truncated] = [shardFiles[2] as string, shardFiles[4] as string];
    const bytes = await readFile(join(dst, flipped));
    const last = bytes.length - 1;
    bytes.writeUInt8(bytes.readUInt8(last) ^ 0xff, last);
    await writeFile(join(dst, flipped), bytes);
    await truncate(join(dst, truncated), 100);

    const rerun = await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
    expect(rerun.shards.filter((s) => !s.resumed).map((s) => s.file)).toEqual([flipped, truncated]);
    expect(await digestDir(dst)).toEqual(reference);
  });

  it("resumes the MXFP4 release to the bytes of an uninterrupted run, quality report included", async () => {
    const mxfp4 = join(root, "mxfp4-src");
    await generateCheckpoint({ family: "deepseek-v4", variant: "mxfp4", dir: mxfp4, shards: 3 });
    const options = { src: mxfp4, kernel: "ts", shardSizeBytes: SHARD } as const;
    const whole = await convertCheckpoint({ ...options, dst: join(root, "mxfp4-whole") });
    const dst = join(root, "mxfp4-aborted");
    const abort = new AbortController();
    await expect(
      convertCheckpoint(
        { ...options, dst },
        { signal: abort.signal, onProgress: (e) => e.type === "shard" && abort.abort() },
      ),
    ).rejects.toMatchObject({ code: "ABORTED" });
    const resumed = await convertCheckpoint({ ...options, dst });
    expect(resumed.shards.filter((s) => s.resumed).length).toBe(1);
    expect(resumed.quality.mxfp4).toEqual(whole.quality.mxfp4);
    expect(resumed.quality.mxfp4.totals.roundedGroups).toBeGreaterThan(0);
    expect(await digestDir(dst)).toEqual(await digestDir(join(root, "mxfp4-whole")));
  });

  it("refuses a destination holding another conversion unless overwrite", async () => {
    const dst = join(root, "other");
    await convertCheckpoint({
      src,
      dst,
      kernel: "ts",
      shardSizeBytes: SHARD,
      ignore: ["\\.shared_experts\\."],
    });
    const again = convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD });
    await expect(again).rejects.toThrow(/holds another conversion .* --overwrite/);
    await expect(again).rejects.toBeInstanceOf(ConvertError);

    await convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD, overwrite: true });
    expect(await digestDir(dst)).toEqual(reference);
  });

  it("refuses a non-empty destination without a manifest", async () => {
    const dst = join(root, "foreign");
    await convertCheckpoint({ src, dst: join(dst, "nested"), kernel: "ts", shardSizeBytes: SHARD });
    await writeFile(join(dst, "notes.txt"), "mine");
    await expect(convertCheckpoint({ src, dst, kernel: "ts", shardSizeBytes: SHARD })).rejects.toThrow(
      /not empty and has no fp4kit-manifest.json/,
    );
  });

  it("after kill -9 at several moments, a re-run gives the bytes of an uninterrupted run", async () => {
    // A larger source (about 20 output shards) so that every kill lands before the run can finish,
    // whatever the random delay and however many shards earlier runs already completed.
    const src = join(root, "src-large");
    await generateCheckpoint({ family: "deepseek-v4", dir: src, routedExperts: 96, layers: 4, shards: 4 });
    const shardSize = String(SHARD);
    const uninterrupted = join(root, "uninterrupted");
    await convertCheckpoint({ src, dst: uninterrupted, kernel: "ts", shardSizeBytes: SHARD });
    const expected = await digestDir(uninterrupted);
    expect(Object.keys(expected).filter((f) => f.endsWith(".safetensors")).length).toBeGreaterThan(12);

    const dst = join(root, "killed");
    const args = ["convert", "--src", src, "--dst", dst, "--kernel", "ts", "--shard-size", shardSize];
    // Kill after the k-th new "shard written" line plus a random delay, so kills land anywhere in a shard.
    const kills: string[] = [];
    for (const afterShards of [0, 1, 2, 3]) {
      const delay = Math.floor(Math.random() * 40);
      const outcome = await runAndKill(args, afterShards, delay);
      kills.push(`after ${afterShards} shard lines + ${delay} ms: ${outcome}`);
    }
    expect(kills.filter((k) => k.includes("killed")).length, kills.join("\n")).toBeGreaterThanOrEqual(3);
    const final = await runToEnd(args);
    expect(final.code, `${kills.join("\n")}\n${final.stderr}`).toBe(0);
    expect(await digestDir(dst), kills.join("\n")).toEqual(expected);
  }, 120_000);
});

function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

/** Starts the CLI and SIGKILLs it `delayMs` after its `shards`-th shard line (or when it ends). */
function runAndKill(args: string[], shards: number, delayMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = startCli(args);
    let seen = 0;
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill("SIGKILL"), delayMs);
    };
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (shards === 0 && text.includes("NVFP4 kernel")) arm();
      seen += text.split("\n").filter((l) => l.includes(".safetensors: written")).length;
      if (shards > 0 && seen >= shards) arm();
    });
    child.on("exit", (code, signal) =>
      resolve(signal === "SIGKILL" ? `killed after ${seen} shards` : `finished (${code})`),
    );
  });
}

function runToEnd(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = startCli(args);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}
