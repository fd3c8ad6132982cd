import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pythonScriptEnv } from "@fp4kit/quant/python";
import { describe, expect, it } from "vitest";
import { CALIBRATION_SCRIPTS, PYTHON_SCRIPTS } from "../src/jobs/python.ts";
import { parsePythonLine } from "../src/jobs/python-output.ts";

const hasTorch = spawnSync("python3", ["-c", "import torch, safetensors"]).status === 0;
const hasLlmCompressor = spawnSync("python3", ["-c", "import llmcompressor"]).status === 0;

/** The production scripts, run with this machine's python3 (no torch, no llm-compressor here). */
describe("the Python job scripts without their packages", () => {
  it.skipIf(hasTorch)("verify_nvfp4.py names the missing packages and exits 3", () => {
    const run = spawnSync("python3", [PYTHON_SCRIPTS.VERIFY, "/nonexistent"], { encoding: "utf8" });
    expect(run.status).toBe(3);
    const message = parsePythonLine(run.stdout.trim().split("\n").at(-1) ?? "");
    expect(message).toMatchObject({ type: "error" });
    expect(message?.type === "error" && message.message).toMatch(
      /^NVFP4 verification needs Python packages that are not installed: .*torch.*Install them into the Python that runs this script/,
    );
  });

  it.skipIf(hasLlmCompressor)("quantize_llmcompressor.py names the missing packages and exits 3", () => {
    const run = spawnSync(
      "python3",
      [PYTHON_SCRIPTS.CALIBRATE, "--src", "/nonexistent", "--dst", "/nonexistent-out"],
      { encoding: "utf8", env: pythonScriptEnv() },
    );
    expect(run.status).toBe(3);
    const message = parsePythonLine(run.stdout.trim().split("\n").at(-1) ?? "");
    expect(message?.type === "error" && message.message).toMatch(/llmcompressor/);
  });

  it.skipIf(hasTorch)("calibrate.py (input scales) names the missing packages and exits 3", () => {
    const run = spawnSync(
      "python3",
      [CALIBRATION_SCRIPTS["input-scales"], "--src", "/nonexistent", "--out", "/nonexistent.json"],
      { encoding: "utf8", env: pythonScriptEnv() },
    );
    expect(run.status).toBe(3);
    const message = parsePythonLine(run.stdout.trim().split("\n").at(-1) ?? "");
    expect(message?.type === "error" && message.message).toMatch(
      /^calibration needs Python packages .*torch/,
    );
  });

  it("every script explains its usage", () => {
    for (const script of new Set([...Object.values(PYTHON_SCRIPTS), ...Object.values(CALIBRATION_SCRIPTS)])) {
      const run = spawnSync("python3", [script, "--help"], { encoding: "utf8", env: pythonScriptEnv() });
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/usage:/);
    }
  });
});

/** Runs where torch and safetensors exist (the GPU hosts); skipped on machines without them. */
describe.skipIf(!hasTorch)("verify_nvfp4.py with torch", () => {
  const MAKE_PAIR = new URL("./fixtures/make_nvfp4_pair.py", import.meta.url).pathname;

  function verify(swapNibbles: boolean) {
    const dir = mkdtempSync(join(tmpdir(), "fp4kit-verify-"));
    try {
      const made = spawnSync("python3", [MAKE_PAIR, dir, ...(swapNibbles ? ["--swap-nibbles"] : [])], {
        encoding: "utf8",
      });
      expect(made.status, made.stderr).toBe(0);
      const run = spawnSync(
        "python3",
        [
          PYTHON_SCRIPTS.VERIFY,
          join(dir, "nvfp4"),
          "--reference",
          join(dir, "fp8"),
          "--generate-tokens",
          "0",
          "--device",
          "cpu",
        ],
        { encoding: "utf8" },
      );
      const messages = run.stdout
        .split("\n")
        .map(parsePythonLine)
        .filter((m) => m !== null);
      const report = messages.find((m) => m.type === "artifact");
      return {
        status: run.status,
        report: report?.type === "artifact" ? (report.json as Record<string, unknown>) : null,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("passes a correct conversion with the NVFP4 error level and a finite block forward", () => {
    const { status, report } = verify(false);
    expect(status).toBe(0);
    expect(report).toMatchObject({ format: "compressed-tensors", passed: true });
    expect(report?.maxRelRmsError).toBeGreaterThan(0.05);
    expect(report?.maxRelRmsError).toBeLessThan(0.15);
    expect(report?.forward).toMatchObject({ finite: true });
  });

  it("fails a conversion whose nibbles are swapped", () => {
    const { status, report } = verify(true);
    expect(status).toBe(1);
    expect(report?.passed).toBe(false);
    expect(report?.maxRelRmsError).toBeGreaterThan(0.5);
  });
});
