import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { InspectReportSchema } from "@fp4kit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { inspectCheckpoint } from "../../src/inspect/report.ts";
import { memoryIo, tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir("cli")));
afterAll(() => cleanup());

const cli = async (...args: string[]) => {
  const io = memoryIo(root);
  const code = await runCli(["node", "fp4kit", ...args], io);
  return { code, out: io.out(), err: io.err() };
};

describe("fp4kit inspect --help", () => {
  it("explains the output files, the schema and the options", async () => {
    const { code, out } = await cli("inspect", "--help");
    expect(code).toBe(0);
    for (const text of [
      "inspect.json",
      "inspect.md",
      '"schemaVersion": 1',
      "docs/inspect-schema.md",
      "headers",
      "--out <dir>",
      "--json <file>",
      "--no-write",
      "--quantize-attention",
      "--ignore <regex>",
      "--preset <family>",
      "MXFP4",
      "{L}",
    ]) {
      expect(out).toContain(text);
    }
  });
});

describe("fp4kit synth + inspect", () => {
  it("synth --size below the smallest benchmark checkpoint is refused, not written several times larger", async () => {
    const dir = join(root, "too-small");
    const small = await cli("synth", dir, "--family", "deepseek-v3", "--size", "100MB");
    expect(small.code).toBe(1);
    expect(small.err).toMatch(
      /^error: --size 95\.4 MiB is below the smallest deepseek-v3 checkpoint with benchmark dimensions, (\d+) MiB \(one layer\): give --size \1MiB or more, leave --size out for the ~2 MB test fixture, or use --micro with --layers\/--experts\n$/,
    );
    await expect(readdir(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("generates a checkpoint and writes inspect.json + inspect.md that match the library report", async () => {
    const ckpt = join(root, "v4");
    const synth = await cli("synth", ckpt, "--family", "deepseek-v4", "--shards", "2", "--seed", "3");
    expect(synth).toMatchObject({ code: 0, err: "" });
    expect(synth.out).toMatch(/^wrote deepseek-v4 \(fp8\): 243 tensors, .* in 2 shard\(s\)/);

    const reports = join(root, "reports");
    const inspect = await cli("inspect", "v4", "--out", "reports");
    expect(inspect.code).toBe(0);
    expect(inspect.out).toMatch(/^fp4kit inspect: v4\n {2}family {7}deepseek-v4/);
    expect(inspect.err).toContain(join(reports, "inspect.json"));
    expect((await readdir(reports)).sort()).toEqual(["inspect.json", "inspect.md"]);

    const written = InspectReportSchema.parse(
      JSON.parse(await readFile(join(reports, "inspect.json"), "utf8")),
    );
    expect(written).toEqual(await inspectCheckpoint(ckpt));
    expect(await readFile(join(reports, "inspect.md"), "utf8")).toMatch(/^# fp4kit inspect: v4\n/);
  });

  it("--json - prints the report, --no-write writes nothing, and planning flags reach the preset", async () => {
    await cli("synth", join(root, "v3"), "--family", "deepseek-v3");
    const { code, out } = await cli(
      "inspect",
      "v3",
      "--json",
      "-",
      "--no-write",
      "--no-quantize-attention",
      "--ignore",
      "experts\\.0\\.",
      "--ignore",
      "shared_experts",
    );
    expect(code).toBe(0);
    const report = InspectReportSchema.parse(JSON.parse(out));
    expect(report.preset).toMatchObject({
      quantizeAttention: false,
      ignore: ["experts\\.0\\.", "shared_experts"],
    });
    expect(report.plan.rules.map((r) => r.rule)).toContain("ignore:shared_experts");
    expect(await readdir(root)).not.toContain("inspect.json");
  });

  it("--json - writes no file into the current directory unless --md names one", async () => {
    await cli("synth", join(root, "v3-json"), "--family", "deepseek-v3");
    const cwd = join(root, "json-cwd");
    await mkdir(cwd, { recursive: true });
    const io = memoryIo(cwd);
    expect(await runCli(["node", "fp4kit", "inspect", join(root, "v3-json"), "--json", "-"], io)).toBe(0);
    InspectReportSchema.parse(JSON.parse(io.out()));
    expect(await readdir(cwd)).toEqual([]);
    const named = memoryIo(cwd);
    const args = ["node", "fp4kit", "inspect", join(root, "v3-json"), "--json", "-", "--md", "report.md"];
    expect(await runCli(args, named)).toBe(0);
    expect(await readdir(cwd)).toEqual(["report.md"]);
  });

  it("--preset overrides detection, and a wrong one is reported", async () => {
    const forced = await cli("inspect", "v3", "--no-write", "--preset", "deepseek-v3.2");
    expect(forced.code).toBe(0);
    expect(forced.out).toContain("deepseek-v3.2 (from option)");
    const wrong = await cli("inspect", "v3", "--no-write", "--preset", "deepseek-v4");
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^error: .*v3: expected tensor names in the DeepSeek layout/);
  });

  it("synth refuses a non-empty directory unless --force, and rejects bad options", async () => {
    const again = await cli("synth", join(root, "v3"), "--family", "deepseek-v3");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/is not empty \(use --force/);
    expect((await cli("synth", join(root, "v3"), "--family", "deepseek-v3", "--force")).code).toBe(0);

    const badFamily = await cli("synth", join(root, "x"), "--family", "llama");
    expect(badFamily.code).toBe(1);
    expect(badFamily.err).toMatch(/expected one of deepseek-v3, deepseek-v3.2, deepseek-v4/);
    const badSize = await cli("synth", join(root, "x"), "--family", "deepseek-v3", "--size", "lots");
    expect(badSize.err).toMatch(/not a byte size/);
  });

  it("synth into a path it cannot make is one line naming the path, never a stack or a hang", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a folder");
    for (const dir of [file, join(file, "v3")]) {
      const run = await cli("synth", dir, "--family", "deepseek-v3");
      expect(run.code).toBe(1);
      expect(run.err).toBe(
        `error: ${dir} goes through a file where a folder is needed: move it away, or choose another path\n`,
      );
    }
    // Under /proc, mkdir answers ENOENT although the parent exists: Node's recursive mkdir never returns there.
    if (existsSync("/proc/self")) {
      const run = await cli("synth", "/proc/fp4kit-synth", "--family", "deepseek-v3");
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^error: \/proc\/fp4kit-synth: no such file or folder .*: check the path\n$/);
    }
  });
});

describe("bin/fp4kit.js", () => {
  it("runs the TypeScript CLI through tsx", { timeout: 30_000 }, async () => {
    const bin = fileURLToPath(new URL("../../bin/fp4kit.js", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "--help"]);
    expect(stdout).toContain("Usage: fp4kit");
    expect(stdout).toMatch(/inspect \[options\] <dir>/);
    expect(stdout).toMatch(/synth \[options\] <dir>/);
  });
});
