/**
 * verify_nvfp4.py's report and summary are what a verify run uploads: they follow @fp4kit/protocol's
 * schemas for a VERIFY run's QUALITY_REPORT and summary, so the server stores them as they are.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runDocumentProblem, runSummaryProblem } from "@fp4kit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { pythonScriptEnv, VERIFY_SCRIPT } from "../../src/python/scripts.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("verify-report"));
  await generateCheckpoint({ family: "deepseek-v3", dir: join(root, "src") });
  await convertCheckpoint({ src: join(root, "src"), dst: join(root, "out") });
});
afterAll(() => cleanup());

describe("verify_nvfp4.py's report", { timeout: 120_000 }, () => {
  it("and its summary follow the protocol's schemas for a verify run", () => {
    const python = process.env.FP4KIT_PYTHON ?? "python3";
    const run = spawnSync(
      python,
      [VERIFY_SCRIPT, join(root, "out"), "--reference", join(root, "src"), "--generate-tokens", "0"],
      { encoding: "utf8", env: pythonScriptEnv() },
    );
    expect(run.status, run.stderr).toBe(0);
    const messages = run.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    const artifacts = messages.filter((message) => message.type === "artifact");
    expect(artifacts.map((a) => a.kind)).toEqual(["QUALITY_REPORT"]);
    expect(runDocumentProblem("VERIFY", "QUALITY_REPORT", artifacts[0].json)).toBeNull();
    expect(artifacts[0].json).toMatchObject({ passed: true, problems: [], reference: "src" });
    const results = messages.filter((message) => message.type === "result");
    expect(results).toHaveLength(1);
    expect(runSummaryProblem("VERIFY", results[0].summary)).toBeNull();
  });
});
