/**
 * verify_nvfp4.py's report is the document a verify run uploads: it follows @fp4kit/protocol's
 * schema for a VERIFY run's QUALITY_REPORT, so the server stores it and pages can read it.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runDocumentProblem } from "@fp4kit/protocol";
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
  it("follows the protocol's schema for a verify run", () => {
    const python = process.env.FP4KIT_PYTHON ?? "python3";
    const run = spawnSync(
      python,
      [VERIFY_SCRIPT, join(root, "out"), "--reference", join(root, "src"), "--generate-tokens", "0"],
      { encoding: "utf8", env: pythonScriptEnv() },
    );
    expect(run.status, run.stderr).toBe(0);
    const artifacts = run.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((message) => message.type === "artifact");
    expect(artifacts.map((a) => a.kind)).toEqual(["QUALITY_REPORT"]);
    expect(runDocumentProblem("VERIFY", "QUALITY_REPORT", artifacts[0].json)).toBeNull();
    expect(artifacts[0].json).toMatchObject({ passed: true, problems: [], reference: "src" });
  });
});
