/** `fp4kit convert` and `fp4kit verify` as a user runs them: help, summary, JSON, missing Python. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { memoryIo, tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
let src: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-cli"));
  src = join(root, "src");
  await generateCheckpoint({ family: "deepseek-v3", dir: src });
});
afterAll(() => cleanup());

const cli = (io: ReturnType<typeof memoryIo>, ...args: string[]) => runCli(["node", "fp4kit", ...args], io);

describe("fp4kit convert", { timeout: 30_000 }, () => {
  it("documents every option in --help", async () => {
    const io = memoryIo(root);
    expect(await cli(io, "convert", "--help")).toBe(0);
    for (const flag of [
      "--src",
      "--dst",
      "--format",
      "--workers",
      "--gpus",
      "--shard-size",
      "--ignore",
      "--quantize-attention",
      "--input-scale",
      "--calibration-file",
      "--kernel",
      "--overwrite",
    ]) {
      expect(io.out(), flag).toContain(flag);
    }
    expect(io.out()).toMatch(/Resuming:/);
  });

  it("prints a summary with sizes, speed, quality and the kernel, and resumes on a re-run", async () => {
    const io = memoryIo(root);
    expect(await cli(io, "convert", "--src", "src", "--dst", "out", "--shard-size", "1MiB")).toBe(0);
    expect(io.out()).toMatch(/converted deepseek-v3 → compressed-tensors NVFP4A16/);
    expect(io.out()).toMatch(/size\s+2\.\d+ MiB FP8 → 1\.\d+ MiB/);
    expect(io.out()).toMatch(/quality\s+64 NVFP4 tensors, relative RMS error 0\.09\d\d overall/);
    expect(io.out()).toMatch(/kernel\s+using (cpu-native|typescript)/);
    expect(io.err()).toMatch(/model-00001-of-00002\.safetensors: written/);

    const again = memoryIo(root);
    expect(
      await cli(again, "convert", "--src", "src", "--dst", "out", "--shard-size", "1MiB", "--json"),
    ).toBe(0);
    const result = JSON.parse(again.out());
    expect(result.shards.every((s: { resumed: boolean }) => s.resumed)).toBe(true);
    expect(result.quality.totals.quantizedTensors).toBe(64);
  });

  it("warns loudly on stderr with --input-scale", async () => {
    const io = memoryIo(root);
    const status = await cli(
      io,
      "convert",
      "--src",
      "src",
      "--dst",
      "mo",
      "--format",
      "modelopt",
      "--input-scale",
      "0.5",
    );
    expect(status).toBe(0);
    expect(io.err()).toMatch(/WARNING: every quantized module gets the same activation input_scale 0\.5/);
    expect(io.out()).toMatch(/WARNING\s+every quantized module/);
  });

  it("refuses ModelOpt without input scales with one line", async () => {
    const io = memoryIo(root);
    expect(await cli(io, "convert", "--src", "src", "--dst", "mo2", "--format", "modelopt")).toBe(1);
    expect(io.err()).toMatch(
      /^error: invalid conversion options: calibrationFile: ModelOpt NVFP4 \(W4A4\) needs activation input scales: give a calibration file or a fallback input scale/,
    );
  });

  it("names the real calibrate command and the flag that takes its file in the --input-scale warning", async () => {
    const io = memoryIo(root);
    const args = ["--src", "src", "--dst", "mo3", "--format", "modelopt", "--input-scale", "0.5"];
    expect(await cli(io, "convert", ...args)).toBe(0);
    expect(io.err()).toContain(
      "measure them with `fp4kit calibrate --src <FP8 checkpoint> --out calibration.json` and convert with --calibration-file calibration.json",
    );
    // The command it names exists.
    const help = memoryIo(root);
    expect(await cli(help, "calibrate", "--help")).toBe(0);
    expect(help.out()).toMatch(/--src <dir>[\s\S]*--out <file>/);
  });

  it("refuses a memory budget of zero, from the CLI and the library", async () => {
    const io = memoryIo(root);
    expect(await cli(io, "convert", "--src", "src", "--dst", "zero", "--memory-budget", "0")).toBe(1);
    expect(io.err()).toMatch(/--memory-budget.*expected a size above zero/);
    await expect(
      convertCheckpoint({ src: join(root, "src"), dst: join(root, "zero"), memoryBudgetBytes: 0 }),
    ).rejects.toMatchObject({ code: "INVALID_OPTIONS", message: expect.stringMatching(/memory budget/) });
  });

  it("refuses a staging block limit that is not above zero, before the destination is made", async () => {
    for (const maxStagingBlockBytes of [0, -1, Number.NaN]) {
      await expect(
        convertCheckpoint({ src: join(root, "src"), dst: join(root, "no-staging"), maxStagingBlockBytes }),
      ).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
        message: expect.stringMatching(/maxStagingBlockBytes must be above zero bytes, got/),
      });
    }
    expect(existsSync(join(root, "no-staging"))).toBe(false);
  });
});

describe("fp4kit verify", () => {
  it("fails clearly when the Python interpreter is missing", async () => {
    const io = memoryIo(root);
    expect(await cli(io, "verify", "out", "--python", "/nonexistent/python3")).toBe(1);
    expect(io.err()).toMatch(
      /"\/nonexistent\/python3" not found: verification needs Python 3 with torch and safetensors/,
    );
  });
});
