import { existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueRun } from "./support/fixtures.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";

const MARKER = fileURLToPath(new URL("./fixtures/marker.py", import.meta.url));
const PRINT_ARGS = fileURLToPath(new URL("./fixtures/print_args.py", import.meta.url));

describe("refusing path traversal and bad job payloads", () => {
  let stack: AgentTestStack;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-refusals-");
    root = stack.root;
    outside = join(stack.tmp, "elsewhere");
    mkdirSync(join(root, "model"));
    mkdirSync(join(outside, "secret-model"), { recursive: true });
    symlinkSync(outside, join(root, "escape"));
    await generateCheckpoint({ family: "deepseek-v3", dir: join(root, "fp8"), layers: 2, routedExperts: 4 });
    // The marker script proves a job ran by creating <source>/RAN: refused jobs must never get there.
    stack.startAgent({ scripts: { verify: MARKER, calibrate: PRINT_ARGS, inputScales: PRINT_ARGS } });
  });

  afterAll(() => stack?.close());

  it.each([
    [
      "a .. escape",
      () => `${root}/../elsewhere/secret-model`,
      /resolves to ".*elsewhere\/secret-model"\) is outside the allowed data roots/,
    ],
    [
      "a symlink out of the root",
      () => join(root, "escape", "secret-model"),
      /resolves to ".*elsewhere\/secret-model"\) is outside the allowed data roots/,
    ],
    ["a relative path", () => "data/model", /must be an absolute path/],
  ])("refuses a source reached through %s", async (_label, source, message) => {
    const run = await stack.queue({ kind: "VERIFY", sourcePath: source(), options: {} });
    const result = await stack.waitForEnd(run.id);
    expect(result.status).toBe("FAILED");
    expect(result.error).toMatch(/^refused: sourcePath /);
    expect(result.error).toMatch(message);
    expect(existsSync(join(outside, "secret-model", "RAN"))).toBe(false);
    const lines = await stack.db.prisma.runLogLine.findMany({
      where: { runId: run.id },
      orderBy: { seq: "asc" },
    });
    expect(lines.map((l) => l.stream)).toEqual(["SYSTEM", "SYSTEM"]); // "claimed ...", "refused: ..."
  });

  it("refuses a destination outside the roots, or inside the source, before creating anything", async () => {
    const escaping = await stack.queue({
      kind: "CALIBRATE",
      sourcePath: join(root, "model"),
      destPath: join(root, "escape", "out"),
      options: {},
    });
    const nested = await queueRun(stack.db.prisma, stack.tenant, {
      kind: "CALIBRATE",
      sourcePath: join(root, "model"),
      destPath: join(root, "model", "nvfp4"),
      options: {},
    });
    expect((await stack.waitForEnd(escaping.id)).error).toMatch(
      /^refused: destPath .* is outside the allowed data roots/,
    );
    expect((await stack.waitForEnd(nested.id)).error).toMatch(/^refused: destPath .* overlaps sourcePath/);
    expect(existsSync(join(outside, "out"))).toBe(false);
    expect(existsSync(join(root, "model", "nvfp4"))).toBe(false);
    expect(existsSync(join(root, "model", "RAN"))).toBe(false);
  });

  it.each([
    ["outside the roots", () => join(outside, "secret-model")],
    ["reached through a symlink", () => join(root, "escape", "secret-model")],
    ["reached through ..", () => `${root}/../elsewhere/secret-model`],
  ])("refuses a calibration dataset %s before running anything", async (_label, dataset) => {
    const run = await stack.queue({
      kind: "CALIBRATE",
      sourcePath: join(root, "fp8"),
      destPath: join(root, "nvfp4"),
      options: { dataset: dataset() },
    });
    const result = await stack.waitForEnd(run.id);
    expect(result.status).toBe("FAILED");
    expect(result.error).toMatch(/^refused: options\.dataset .*is outside the allowed data roots/);
    const lines = await stack.db.prisma.runLogLine.findMany({ where: { runId: run.id } });
    expect(lines.some((l) => l.line.startsWith("argv "))).toBe(false);
    expect(existsSync(join(root, "nvfp4"))).toBe(false);
  });

  it.each([
    [
      "a convert run's calibration file",
      "options.calibrationFile",
      () => ({
        kind: "CONVERT" as const,
        sourcePath: join(root, "fp8"),
        destPath: join(root, "nvfp4-w4a4"),
        options: { format: "modelopt", calibrationFile: join(root, "escape", "scales.json") },
      }),
    ],
    [
      "a verify run's FP8 reference",
      "options.referencePath",
      () => ({
        kind: "VERIFY" as const,
        sourcePath: join(root, "model"),
        options: { referencePath: `${root}/../elsewhere/secret-model` },
      }),
    ],
  ])("refuses %s outside the roots before running anything", async (_label, field, spec) => {
    writeFileSync(join(outside, "scales.json"), "{}");
    const run = await stack.queue(spec());
    const result = await stack.waitForEnd(run.id);
    expect(result.status).toBe("FAILED");
    expect(result.error).toMatch(
      new RegExp(
        `^refused: ${field.replace(".", "\\.")} .*resolves to ".*elsewhere/.*"\\) is outside the allowed data roots`,
      ),
    );
    const lines = await stack.db.prisma.runLogLine.findMany({ where: { runId: run.id } });
    expect(lines.map((l) => l.stream)).toEqual(["SYSTEM", "SYSTEM"]); // "claimed ...", "refused: ..."
    expect(existsSync(join(root, "nvfp4-w4a4"))).toBe(false);
    expect(existsSync(join(root, "model", "RAN"))).toBe(false);
    expect(existsSync(join(outside, "secret-model", "RAN"))).toBe(false);
  });

  /** The command line a job's script got, from its "argv [...]" log line. */
  async function scriptArgs(
    run: { kind: "CALIBRATE" | "VERIFY"; sourcePath: string; destPath?: string },
    options: object,
  ): Promise<{ argv: string[]; cwd: string }> {
    const queued = await stack.queue({ ...run, options });
    const result = await stack.waitForEnd(queued.id);
    expect(result.status, result.error ?? "").toBe("SUCCEEDED");
    const lines = (await stack.db.prisma.runLogLine.findMany({ where: { runId: queued.id } })).map(
      (l) => l.line,
    );
    const argv = lines.find((l) => l.startsWith("argv "))?.slice(5) ?? "null";
    const cwd = lines.find((l) => l.startsWith("cwd "))?.slice(4) ?? "";
    return { argv: JSON.parse(argv) as string[], cwd };
  }

  const calibrateArgs = (options: object) =>
    scriptArgs({ kind: "CALIBRATE", sourcePath: join(root, "fp8"), destPath: join(root, "nvfp4") }, options);

  it("passes trust_remote_code to Python only when the run asks for it, for calibrate and verify", async () => {
    const plain = await calibrateArgs({});
    expect(plain.argv).toContain("--src");
    expect(plain.argv).not.toContain("--trust-remote-code");
    const trusting = await calibrateArgs({ trustRemoteCode: true });
    expect(trusting.argv).toContain("--trust-remote-code");

    mkdirSync(join(root, "verified"));
    const verify = (options: object) =>
      scriptArgs({ kind: "VERIFY", sourcePath: join(root, "verified") }, options);
    const plainVerify = await verify({});
    expect(plainVerify.argv).toContain("--generate-tokens");
    expect(plainVerify.argv).not.toContain("--trust-remote-code");
    expect((await verify({ trustRemoteCode: true })).argv).toContain("--trust-remote-code");
  });

  it("hands a Hub dataset id over as given and a local dataset as its confined real path", async () => {
    const hub = await calibrateArgs({ dataset: "HuggingFaceH4/ultrachat_200k" });
    expect(hub.argv[hub.argv.indexOf("--dataset") + 1]).toBe("HuggingFaceH4/ultrachat_200k");
    // A relative Hub id must not resolve to a folder where the script runs: its own spool folder.
    expect(hub.cwd.startsWith(join(stack.tmp, "agent"))).toBe(true);
    mkdirSync(join(root, "datasets", "chat"), { recursive: true });
    const local = await calibrateArgs({ dataset: `${root}/datasets/../datasets/chat` });
    expect(local.argv[local.argv.indexOf("--dataset") + 1]).toBe(
      join(realpathSync(root), "datasets", "chat"),
    );
  });

  it("runs an input-scales calibration with the file as --out, the method's sizes and a confined text", async () => {
    const shipped = await calibrateArgs({ method: "input-scales" });
    const arg = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
    expect(arg(shipped.argv, "--out")).toBe(join(realpathSync(root), "nvfp4"));
    expect(arg(shipped.argv, "--seq-len")).toBe("512");
    expect(arg(shipped.argv, "--max-tokens")).toBe(String(128 * 512));
    // No --text: the script's default, the text shipped with fp4kit; no Path B arguments.
    expect(shipped.argv).not.toContain("--text");
    expect(shipped.argv).not.toContain("--dataset");
    mkdirSync(join(root, "texts"), { recursive: true });
    writeFileSync(join(root, "texts", "calibration.txt"), "text");
    const own = await calibrateArgs({
      method: "input-scales",
      dataset: `${root}/texts/../texts/calibration.txt`,
      numSamples: 4,
      maxSeqLen: 256,
    });
    expect(arg(own.argv, "--text")).toBe(join(realpathSync(root), "texts", "calibration.txt"));
    expect(arg(own.argv, "--max-tokens")).toBe("1024");
  });

  it("fails a run whose stored options break the protocol schema without handing it to an agent", async () => {
    const run = await stack.queue({
      kind: "CONVERT",
      sourcePath: join(root, "model"),
      destPath: join(root, "out"),
      options: { format: "gguf", workers: "many" },
    });
    const result = await stack.waitForEnd(run.id);
    expect(result.status).toBe("FAILED");
    expect(result.error).toMatch(/^invalid run options for CONVERT/);
    expect(result.error).toMatch(/format/);
    expect(result.error).toMatch(/workers/);
    expect(result.startedAt).toBeNull();
    expect(await stack.db.prisma.runLogLine.count({ where: { runId: run.id } })).toBe(0);
    expect(existsSync(join(root, "out"))).toBe(false);
  });

  it("still runs a well-formed job inside the root afterwards", async () => {
    const run = await stack.queue({
      kind: "VERIFY",
      sourcePath: join(root, "model"),
      options: {},
    });
    expect((await stack.waitForEnd(run.id)).status).toBe("SUCCEEDED");
    expect(existsSync(join(root, "model", "RAN"))).toBe(true);
  });
});
