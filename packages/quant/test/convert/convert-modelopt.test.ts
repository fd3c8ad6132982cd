/**
 * ModelOpt NVFP4 output: tensor names and dtypes, hf_quant_config.json, activation input scales
 * (calibration file or a loud --input-scale), and the refusals: no input scales, unknown modules.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bf16ToFloat } from "../../src/codecs/half.ts";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import type { ConvertProgressEvent } from "../../src/convert/progress.ts";
import { compareToReference, dequantizeFp8Block } from "../../src/quality/dequantize.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";
import { f32, fp8Tensor, type ReadTensor, readAllTensors } from "./helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
let src: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-modelopt"));
  src = join(root, "v3");
  await generateCheckpoint({ family: "deepseek-v3", dir: src });
});
afterAll(() => cleanup());

describe("ModelOpt NVFP4", { timeout: 30_000 }, () => {
  it("refuses to write ModelOpt tensors without activation input scales", async () => {
    await expect(
      convertCheckpoint({ src, dst: join(root, "none"), format: "modelopt" }),
    ).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
      message: expect.stringMatching(/input scales/),
    });
  });

  it("refuses input scales for compressed-tensors (weight-only) output", async () => {
    await expect(convertCheckpoint({ src, dst: join(root, "ct"), inputScale: 0.1 })).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
    });
  });

  it("with --input-scale: writes it everywhere, warns loudly (log, event, report)", async () => {
    const dst = join(root, "flag");
    const events: ConvertProgressEvent[] = [];
    const logs: string[] = [];
    const result = await convertCheckpoint(
      { src, dst, format: "modelopt", inputScale: 0.02 },
      { onProgress: (e) => events.push(e), onLog: (l) => logs.push(l) },
    );
    const out = await readAllTensors(dst);
    const m = "model.layers.1.mlp.experts.0.gate_proj";
    expect(out.get(`${m}.weight`)).toMatchObject({ dtype: "U8", shape: [96, 96] });
    expect(out.get(`${m}.weight_scale`)).toMatchObject({ dtype: "F8_E4M3", shape: [96, 12] });
    expect(out.get(`${m}.weight_scale_2`)).toMatchObject({ dtype: "F32", shape: [] });
    expect(out.get(`${m}.input_scale`)).toMatchObject({ dtype: "F32", shape: [] });
    expect(f32(out.get(`${m}.input_scale`) as ReadTensor)[0]).toBe(Math.fround(0.02));

    expect(logs.some((l) => l.startsWith("WARNING") && l.includes("--input-scale"))).toBe(true);
    expect(events.some((e) => e.type === "warning" && e.message?.includes("not a calibrated one"))).toBe(
      true,
    );
    expect(result.quality.inputScales).toMatchObject({ source: "flag", value: Math.fround(0.02) });
    const report = JSON.parse(await readFile(join(dst, "fp4kit-quality.json"), "utf8"));
    expect(report.inputScales.warning).toMatch(/not a calibrated one/);
    expect(await readFile(join(dst, "fp4kit-quality.md"), "utf8")).toMatch(/--input-scale, not calibrated/);
  });

  it("describes the output in config.json and hf_quant_config.json", async () => {
    const dst = join(root, "flag");
    const config = JSON.parse(await readFile(join(dst, "config.json"), "utf8"));
    const hf = JSON.parse(await readFile(join(dst, "hf_quant_config.json"), "utf8"));
    expect(config.quantization_config).toMatchSnapshot();
    expect(hf).toMatchSnapshot();
    expect(hf.quantization.exclude_modules).toEqual(config.quantization_config.ignore);
  });

  it("writes FP8 weights it keeps as BF16 (ModelOpt has no FP8-block scheme), equal to the source values", async () => {
    const dst = join(root, "flag");
    const out = await readAllTensors(dst);
    const source = await readAllTensors(src);
    const name = "model.layers.0.self_attn.kv_b_proj";
    const kept = out.get(`${name}.weight`) as ReadTensor;
    expect(kept.dtype).toBe("BF16");
    expect(out.has(`${name}.weight_scale_inv`)).toBe(false);
    const view = new Uint16Array(kept.data.slice().buffer);
    const values = Float32Array.from(view, (b) => bf16ToFloat(b));
    const scaleTensor = source.get(`${name}.weight_scale_inv`) as ReadTensor;
    const exact = dequantizeFp8Block(
      fp8Tensor(source.get(`${name}.weight`) as ReadTensor, f32(scaleTensor), scaleTensor.shape),
    );
    expect(compareToReference(values, exact).relRmsError).toBeLessThan(2 ** -8);
  });

  it("takes input scales from a calibration file (amax → amax / (6·448))", async () => {
    const dst = join(root, "calibrated");
    const first = await convertCheckpoint({
      src,
      dst: join(root, "modules"),
      format: "modelopt",
      inputScale: 1,
    });
    const modules = first.quality.tensors.map((t) => t.name.slice(0, -".weight".length));
    const file = join(root, "calibration.json");
    const amax = Object.fromEntries(modules.map((m, i) => [m, 1 + i]));
    await writeFile(
      file,
      JSON.stringify({ format: "fp4kit-calibration", version: 1, kind: "amax", modules: amax }),
    );
    const result = await convertCheckpoint({ src, dst, format: "modelopt", calibrationFile: file });
    expect(result.warnings.some((w) => w.includes("--input-scale"))).toBe(false);
    expect(result.quality.inputScales).toMatchObject({ source: "calibration", file });
    const out = await readAllTensors(dst);
    for (const [i, m] of modules.entries()) {
      expect(f32(out.get(`${m}.input_scale`) as ReadTensor)[0], m).toBe(Math.fround((1 + i) / 2688));
    }
  });

  it("names the module a calibration file lacks", async () => {
    const file = join(root, "partial-calibration.json");
    await writeFile(
      file,
      JSON.stringify({
        format: "fp4kit-calibration",
        version: 1,
        kind: "input_scale",
        modules: { "model.layers.0.mlp.gate_proj": 0.1 },
      }),
    );
    await expect(
      convertCheckpoint({ src, dst: join(root, "partial"), format: "modelopt", calibrationFile: file }),
    ).rejects.toMatchObject({
      code: "CALIBRATION",
      message: expect.stringMatching(/no input_scale for module "model\.layers\.0\.self_attn\.q_a_proj"/),
    });
  });

  it("rejects a malformed calibration file with the file name", async () => {
    const file = join(root, "bad-calibration.json");
    await writeFile(file, JSON.stringify({ "model.layers.0.mlp.gate_proj": 3 }));
    await expect(
      convertCheckpoint({ src, dst: join(root, "bad"), format: "modelopt", calibrationFile: file }),
    ).rejects.toThrow(/bad-calibration\.json: expected \{"format": "fp4kit-calibration"/);
  });
});
