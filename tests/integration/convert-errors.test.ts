/**
 * A conversion the converter refuses fails its run with the line `fp4kit convert` prints for the
 * same paths (without its "error: "), which is what the run's page shows (run.error): a file where
 * the destination folder should be, a source without config.json, a destination another
 * conversion holds, a source that changed since the destination's shards were made, a NaN in an
 * FP8 weight kept as it is.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { Checkpoint } from "@fp4kit/quant";
import { runCli } from "@fp4kit/quant/cli";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";

describe("a refused conversion's run says what fp4kit convert says", () => {
  let stack: AgentTestStack;
  let root: string;
  let src: string;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-convert-errors-");
    root = stack.root;
    src = join(root, "DeepSeek-V3-FP8");
    await generateCheckpoint({ family: "deepseek-v3", dir: src, shards: 2 });
    stack.startAgent();
  });

  afterAll(() => stack?.close());

  /** Queues a CONVERT run and returns its ending. */
  async function convertRun(sourcePath: string, destPath: string) {
    const run = await stack.queue({ kind: "CONVERT", sourcePath, destPath, options: {} });
    return stack.waitForEnd(run.id);
  }

  /** The error line of `fp4kit convert --src --dst`, without "error: ". */
  async function cliError(source: string, dest: string): Promise<string> {
    let err = "";
    const io = {
      stdout: () => {},
      stderr: (t: string) => {
        err += t;
      },
      stderrIsTTY: false,
      cwd: stack.tmp,
    };
    expect(await runCli(["node", "fp4kit", "convert", "--src", source, "--dst", dest], io)).toBe(1);
    const line = err.trimEnd().split("\n").at(-1) ?? "";
    expect(line).toMatch(/^error: /);
    return line.slice("error: ".length);
  }

  async function expectSameRefusal(source: string, dest: string, message: RegExp) {
    const run = await convertRun(source, dest);
    expect(run.status).toBe("FAILED");
    expect(run.error).toMatch(message);
    expect(run.error).not.toContain("\n");
    expect(run.error).toBe(await cliError(source, dest));
  }

  it("a file where the destination folder should be", async () => {
    const file = join(root, "not-a-folder");
    writeFileSync(file, "x");
    await expectSameRefusal(src, file, /not-a-folder is a file where a folder is needed: move it away/);
  });

  it("a source without config.json", async () => {
    const bare = join(root, "no-config");
    cpSync(src, bare, { recursive: true });
    rmSync(join(bare, "config.json"));
    await expectSameRefusal(bare, join(root, "no-config-out"), /no-config has no config\.json: engines read/);
  });

  it("a destination another conversion holds", async () => {
    const dest = join(root, "held");
    mkdirSync(dest);
    const holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), token: "t" };
    writeFileSync(join(dest, "fp4kit.lock"), JSON.stringify(holder));
    await expectSameRefusal(
      src,
      dest,
      new RegExp(`held is in use by another conversion \\(process ${process.pid} on `),
    );
  });

  it("a source that changed since the destination's shards were made", async () => {
    const changing = join(root, "changing");
    cpSync(src, changing, { recursive: true });
    const dest = join(root, "changing-out");
    expect((await convertRun(changing, dest)).status).toBe("SUCCEEDED");
    const checkpoint = await Checkpoint.open(changing);
    const shard = checkpoint.shards[0];
    if (shard === undefined) throw new Error("no shard");
    const handle = await open(checkpoint.shardPath(shard.file), "r+");
    await handle.write(Uint8Array.of(0x55), 0, 1, shard.header.dataStart);
    await handle.close();
    await expectSameRefusal(changing, dest, /the source changed since .* was modified .* --overwrite/);
  });

  it("a NaN in an FP8 weight kept as it is", async () => {
    const poisoned = join(root, "poisoned");
    cpSync(src, poisoned, { recursive: true });
    const checkpoint = await Checkpoint.open(poisoned);
    // kv_b_proj's input dim is no multiple of 16: it stays FP8.
    const name = "model.layers.1.self_attn.kv_b_proj.weight";
    const tensor = checkpoint.tensor(name);
    const shard = checkpoint.shards.find((s) => s.file === tensor?.file);
    if (tensor === undefined || shard === undefined) throw new Error(`no ${name}`);
    const handle = await open(checkpoint.shardPath(tensor.file), "r+");
    await handle.write(Uint8Array.of(0x7f), 0, 1, shard.header.dataStart + tensor.begin);
    await handle.close();
    await expectSameRefusal(poisoned, join(root, "poisoned-out"), /kept as FP8, holds NaN/);
  });
});
