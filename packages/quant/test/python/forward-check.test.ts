/**
 * The forward check with the model's own code: tiny random DeepSeek-V3 and V4 models built with
 * transformers' classes, written as FP8 checkpoints in the layouts fp4kit reads (V3 HF layout with
 * `weight_scale_inv`; V4's own layout with `.scale`, F32 and E8M0), converted by `fp4kit convert`
 * into every output format, loaded back into the same model and run on fixed tokens
 * (python/forward_check.py). The W4A4 outputs take their input scales from `fp4kit calibrate`.
 * Planted converter defects must make it fail.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { FORWARD_CHECK_SCRIPT } from "../../src/python/scripts.ts";
import { memoryIo, tempDir } from "../helpers.ts";

const run = promisify(execFile);
const python = () => {
  const p = process.env.FP4KIT_PYTHON;
  if (p === undefined)
    throw new Error("FP4KIT_PYTHON is set by the suite's global setup (test/python-setup.ts)");
  return p;
};
const TINY_CHECKPOINT = join(import.meta.dirname, "tiny_checkpoint.py");
const PLANT = join(import.meta.dirname, "plant_defect.py");

const SOURCES = [
  { name: "v3", family: "deepseek-v3", scale: "f32" },
  { name: "v4", family: "deepseek-v4", scale: "f32" },
  { name: "v4-e8m0", family: "deepseek-v4", scale: "e8m0" },
] as const;
type Source = (typeof SOURCES)[number]["name"];

/** Output folder suffix -> the convert format and whether it quantizes activations. */
const OUTPUTS = {
  ct: { format: "compressed-tensors", w4a4: false },
  "ct-w4a4": { format: "compressed-tensors-w4a4", w4a4: true },
  modelopt: { format: "modelopt", w4a4: true },
} as const;
type Output = keyof typeof OUTPUTS;

/** The bounds forward_check.py applies (docs/forward-check.md says why). */
const MIN_COSINE = 0.9;
const MIN_TOP1 = 0.4;

let root: string;
let cleanup: () => Promise<void>;

const cli = async (...args: string[]) => {
  const io = memoryIo(root);
  const status = await runCli(["node", "fp4kit", ...args], io);
  return { status, out: io.out(), err: io.err() };
};

interface ForwardReport {
  passed: boolean;
  cosineMean: number;
  top1Agreement: number;
  w4a4: boolean;
  format: string;
  layers: number;
  problems: string[];
}

/** Runs forward_check.py; its report, or the error line when it could not run the model. */
async function forwardCheck(out: string, src: Source): Promise<{ report?: ForwardReport; error?: string }> {
  const result = await run(
    python(),
    [FORWARD_CHECK_SCRIPT, join(root, out), "--reference", join(root, src)],
    {
      maxBuffer: 1 << 24,
    },
  ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  const lines = result.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  const report = lines.find((l) => l.type === "artifact")?.json as ForwardReport | undefined;
  const error = lines.find((l) => l.type === "error")?.message as string | undefined;
  return { report, error };
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("forward"));
  for (const s of SOURCES) {
    await run(python(), [TINY_CHECKPOINT, join(root, s.name), "--family", s.family, "--scale", s.scale]);
    const calibration = await cli(
      "calibrate",
      "--src",
      s.name,
      "--out",
      `${s.name}.calibration.json`,
      "--seq-len",
      "128",
      "--max-tokens",
      "2048",
    );
    expect(calibration.status, calibration.err).toBe(0);
    for (const [suffix, { format, w4a4 }] of Object.entries(OUTPUTS)) {
      const scales = w4a4 ? ["--calibration-file", `${s.name}.calibration.json`] : [];
      const converted = await cli(
        "convert",
        "--src",
        s.name,
        "--dst",
        `${s.name}-${suffix}`,
        "--format",
        format,
        ...scales,
      );
      expect(converted.status, converted.err).toBe(0);
    }
  }
}, 900_000);
afterAll(() => cleanup());

describe("forward check in transformers' DeepSeek modeling code", { timeout: 180_000 }, () => {
  for (const s of SOURCES) {
    for (const [output, { format, w4a4 }] of Object.entries(OUTPUTS)) {
      it(`${s.name} → ${format}${w4a4 ? " (calibrated)" : ""} passes`, async () => {
        const { report, error } = await forwardCheck(`${s.name}-${output}`, s.name);
        expect(error).toBeUndefined();
        expect(report?.passed, JSON.stringify(report)).toBe(true);
        expect(report?.w4a4).toBe(w4a4);
        expect(report?.layers).toBe(s.family === "deepseek-v3" ? 3 : 4);
        expect(report?.cosineMean).toBeGreaterThanOrEqual(MIN_COSINE);
        expect(report?.top1Agreement).toBeGreaterThanOrEqual(MIN_TOP1);
      });
    }
  }

  const DEFECTS: [string, Source, Output, RegExp][] = [
    ["nibbles", "v4", "ct", /mean cosine similarity of the logits 0\.\d+ < 0\.9/],
    ["nibbles", "v3", "modelopt", /mean cosine similarity of the logits 0\.\d+ < 0\.9/],
    ["global-scale", "v3", "ct", /top-1 agreement 0\.\d+ < 0\.4/],
    ["global-scale", "v4-e8m0", "modelopt", /top-1 agreement 0\.\d+ < 0\.4/],
    ["global-scale", "v4", "ct-w4a4", /top-1 agreement 0\.\d+ < 0\.4/],
    ["unfused", "v3", "ct", /mean cosine similarity of the logits 0\.\d+ < 0\.9/],
    ["unfused", "v4", "modelopt", /mean cosine similarity of the logits 0\.\d+ < 0\.9/],
    [
      "names",
      "v3",
      "ct",
      /deepseek_v3 names its routed experts' projections gate_proj, up_proj, down_proj, not w1/,
    ],
    [
      "names",
      "v4-e8m0",
      "modelopt",
      /deepseek_v4 names its routed experts' projections w1, w3, w2, not down_proj/,
    ],
  ];
  for (const [defect, src, output, message] of DEFECTS) {
    it(`fails ${src} → ${OUTPUTS[output].format} with a planted defect: ${defect}`, async () => {
      const broken = `${src}-${output}-${defect}`;
      await cp(join(root, `${src}-${output}`), join(root, broken), { recursive: true });
      await run(python(), [PLANT, join(root, broken), defect]);
      const { report, error } = await forwardCheck(broken, src);
      expect(report?.passed ?? false).toBe(false);
      expect(error).toMatch(message);
    });
  }

  it("fp4kit verify runs the first decoder layer in the model code and reports it", async () => {
    const { status, out, err } = await cli(
      "verify",
      "v4-modelopt",
      "--reference",
      "v4",
      "--forward-layers",
      "1",
      "--generate-tokens",
      "0",
    );
    expect(status, err).toBe(0);
    expect(out).toMatch(
      /Model-code forward \(deepseek_v4 in transformers 5\.\d+\.\d+, 1 layers, W4A4\): logit cosine 0\.9\d+/,
    );
    await cp(join(root, "v4-modelopt"), join(root, "v4-modelopt-verify-names"), { recursive: true });
    await run(python(), [PLANT, join(root, "v4-modelopt-verify-names"), "names"]);
    const broken = await cli(
      "verify",
      "v4-modelopt-verify-names",
      "--reference",
      "v4",
      "--max-tensors",
      "1",
      "--generate-tokens",
      "0",
    );
    expect(broken.status).toBe(1);
    expect(broken.err).toMatch(
      /the model-code forward check cannot load it: .*names its routed experts' projections/,
    );
  });
});

describe("fp4kit calibrate", { timeout: 180_000 }, () => {
  it("calibrates every routed expert of every layer; fused w1/w3 share one value", async () => {
    const file = JSON.parse(await readFile(join(root, "v4.calibration.json"), "utf8"));
    expect(file).toMatchObject({ format: "fp4kit-calibration", version: 1, kind: "amax" });
    for (let layer = 0; layer < 4; layer++) {
      for (let e = 0; e < 8; e++) {
        const prefix = `layers.${layer}.ffn.experts.${e}`;
        expect(file.modules[`${prefix}.w1`], prefix).toBeGreaterThan(0);
        expect(file.modules[`${prefix}.w2`], prefix).toBeGreaterThan(0);
        expect(file.modules[`${prefix}.w3`]).toBe(file.modules[`${prefix}.w1`]);
      }
      // wq_a and wkv read the same normed input: one GEMM in the engines, one value here.
      expect(file.modules[`layers.${layer}.attn.wkv`]).toBe(file.modules[`layers.${layer}.attn.wq_a`]);
    }
    const v3 = JSON.parse(await readFile(join(root, "v3.calibration.json"), "utf8"));
    expect(v3.modules["model.layers.1.mlp.experts.7.up_proj"]).toBe(
      v3.modules["model.layers.1.mlp.experts.7.gate_proj"],
    );
    expect(v3.modules["model.layers.0.mlp.down_proj"]).toBeGreaterThan(0);
  });

  it("refuses a source that is not FP8, and writes nothing", async () => {
    const { status, err } = await cli("calibrate", "--src", "v4-modelopt", "--out", "bad.json");
    expect(status).toBe(2);
    expect(err).toMatch(
      /v4-modelopt: calibrate reads the FP8 source checkpoint \(quantization_config\.quant_method "fp8"\), found "fp8" with moe_quant_algo "NVFP4"/,
    );
    expect(existsSync(join(root, "bad.json"))).toBe(false);
  });

  it("refuses a text shorter than one sequence", async () => {
    const { status, err } = await cli(
      "calibrate",
      "--src",
      "v4",
      "--out",
      "bad.json",
      "--text",
      "v4/config.json",
      "--seq-len",
      "65536",
    );
    expect(status).toBe(2);
    expect(err).toMatch(/config\.json: \d+ tokens, fewer than one sequence of --seq-len 65536/);
    expect(existsSync(join(root, "bad.json"))).toBe(false);
  });
});
