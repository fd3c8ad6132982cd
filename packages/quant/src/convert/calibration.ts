/**
 * Activation input scales of the W4A4 formats (ModelOpt NVFP4, compressed-tensors NVFP4). Engines multiply activations by 1/input_scale
 * before the FP4 quantization of the activations, so every quantized Linear needs one.
 *
 * Calibration file (JSON, documented in docs/output-formats.md):
 *   { "format": "fp4kit-calibration", "version": 1, "kind": "amax" | "input_scale",
 *     "modules": { "<module name as in the source checkpoint>": <positive number>, ... } }
 * kind "amax": the calibrated max |activation| at the module's input; input_scale is derived as
 * ModelOpt does: amax / (6 · 448) (NVFP4QTensor.get_activation_scaling_factor in
 * modelopt/torch/quantization/qtensor/nvfp4_tensor.py, exported by modelopt/torch/export/quant_utils.py).
 * kind "input_scale": the values are written as they are.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { OutputFormatModule } from "../formats/types.ts";
import { NVFP4_GLOBAL_SCALE_DIVISOR } from "../nvfp4/reference.ts";
import { ConvertError } from "./errors.ts";

export const CalibrationFileSchema = z
  .object({
    format: z.literal("fp4kit-calibration"),
    version: z.literal(1),
    kind: z.enum(["amax", "input_scale"]),
    modules: z.record(z.string().min(1), z.number().positive().finite()),
  })
  .strict();
export type CalibrationFile = z.infer<typeof CalibrationFileSchema>;

/** Where the input scales of a W4A4 output come from; recorded in the quality report. */
export type InputScaleSource =
  | { kind: "calibration"; file: string; values: "amax" | "input_scale"; modules: number }
  | { kind: "flag"; value: number; warning: string };

export interface InputScales {
  source: InputScaleSource;
  /** float32 input_scale of a quantized module. */
  scaleOf(module: string): number;
}

export function flagInputScales(value: number): InputScales {
  const scale = Math.fround(value);
  const warning =
    `every quantized module gets the same activation input_scale ${scale} (--input-scale), not a ` +
    "calibrated one: W4A4 accuracy depends on it; before serving, measure them with `fp4kit calibrate --src <FP8 checkpoint> --out calibration.json` and convert with --calibration-file calibration.json";
  return { source: { kind: "flag", value: scale, warning }, scaleOf: () => scale };
}

/** Loads the file and checks it has a value for every module that will be quantized. */
export async function loadCalibrationFile(
  path: string,
  quantizedModules: readonly string[],
): Promise<InputScales> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConvertError(
      "CALIBRATION",
      `${path}: cannot read the calibration file (${(error as Error).message})`,
      {
        file: path,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConvertError("CALIBRATION", `${path}: expected JSON, found ${(error as Error).message}`, {
      file: path,
    });
  }
  const parsed = CalibrationFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    throw new ConvertError(
      "CALIBRATION",
      `${path}: expected {"format": "fp4kit-calibration", "version": 1, "kind": "amax" | "input_scale", "modules": {...}}, found ${issue?.message ?? "invalid data"}${at}`,
      { file: path },
    );
  }
  const file = parsed.data;
  const missing = quantizedModules.filter((m) => !Object.hasOwn(file.modules, m));
  if (missing.length > 0) {
    throw new ConvertError(
      "CALIBRATION",
      `${path}: no ${file.kind} for module "${missing[0]}"${missing.length > 1 ? ` (and ${missing.length - 1} more quantized modules)` : ""}; a W4A4 output needs an input scale for every quantized Linear`,
      { file: path, tensor: `${missing[0]}.weight` },
    );
  }
  const toScale = (v: number) => Math.fround(file.kind === "amax" ? v / NVFP4_GLOBAL_SCALE_DIVISOR : v);
  return {
    source: { kind: "calibration", file: path, values: file.kind, modules: Object.keys(file.modules).length },
    scaleOf: (module) => toScale(file.modules[module] as number),
  };
}

/** The input scales of a W4A4 output; none for a weight-only format. */
export async function resolveInputScales(
  format: OutputFormatModule,
  source: { calibrationFile: string | undefined; inputScale: number | undefined },
  quantizedModules: readonly string[],
): Promise<InputScales | undefined> {
  if (!format.needsInputScales) return undefined;
  if (source.calibrationFile !== undefined)
    return loadCalibrationFile(source.calibrationFile, quantizedModules);
  if (source.inputScale !== undefined) return flagInputScales(source.inputScale);
  // The options schema already refuses this; kept so that no path writes ModelOpt without input scales.
  throw new ConvertError(
    "INVALID_OPTIONS",
    `${format.id} needs activation input scales: give a calibration file or an input scale`,
  );
}
