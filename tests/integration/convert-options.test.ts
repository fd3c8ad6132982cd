/**
 * A convert run's options mean the same in the web form, `fp4kit convert` and the agent: all three
 * take their defaults, rules and messages from @fp4kit/protocol's ConvertOptionsSchema (and
 * CONVERT_DEFAULTS), so changing a default or a rule there is one edit, and this test shows every
 * surface follows it: the same accepted options, or the same refusal with the same message.
 */
import { readJob } from "@fp4kit/agent";
import { type ConvertOptions, ConvertOptionsSchema, engineFormat } from "@fp4kit/protocol";
import { parseConvertArgs } from "@fp4kit/quant/cli";
import { INITIAL_FORM, type NewRunFormState, parseNewRunForm } from "@fp4kit/web/new-run-form";
import { describe, expect, it } from "vitest";

type ConvertOptionsInput = Partial<ConvertOptions>;

const SOURCE = "/data/DeepSeek-V4-Pro-FP8";
const DEST = "/data/DeepSeek-V4-Pro-NVFP4";

const CASES: { name: string; options: ConvertOptionsInput }[] = [
  { name: "nothing chosen: every default", options: {} },
  {
    name: "every knob set",
    options: {
      engine: "sglang",
      workers: 8,
      gpus: 2,
      shardSizeBytes: 2_000_000_000,
      ignore: ["layers\\.0\\.", "mtp"],
      quantizeAttention: true,
      calibrationFile: "/data/calibration.json",
    },
  },
  {
    name: "ModelOpt (W4A4) with both a calibration file and an input scale",
    options: { format: "modelopt", inputScale: 0.5, calibrationFile: "/data/calibration.json" },
  },
  { name: "a W4A4 format without input scales", options: { format: "compressed-tensors-w4a4" } },
  { name: "a format the engine does not load", options: { engine: "trtllm", format: "compressed-tensors" } },
  {
    name: "a format the engine does not load, forced",
    options: { engine: "trtllm", format: "compressed-tensors", force: true },
  },
  { name: "an ignore pattern that is not a regex", options: { ignore: ["layers.("] } },
];

/** The New run form as a user fills it in to ask for these options. */
function formFor(o: ConvertOptionsInput): NewRunFormState {
  const form: NewRunFormState = { ...INITIAL_FORM, kind: "CONVERT", sourcePath: SOURCE, destPath: DEST };
  if (o.engine !== undefined) form.engine = o.engine;
  if (o.format !== undefined) form.format = o.format;
  if (o.force !== undefined) form.force = o.force;
  if (o.workers !== undefined) form.workers = String(o.workers);
  if (o.gpus !== undefined) form.gpus = String(o.gpus);
  if (o.shardSizeBytes !== undefined) form.shardSizeGb = String(o.shardSizeBytes / 1e9);
  if (o.ignore !== undefined) form.ignore = o.ignore.join("\n");
  if (o.quantizeAttention !== undefined) form.quantizeAttention = o.quantizeAttention ? "on" : "off";
  if (o.inputScale !== undefined) form.inputScale = String(o.inputScale);
  if (o.calibrationFile !== undefined) form.calibrationFile = o.calibrationFile;
  return form;
}

/** `fp4kit convert` arguments asking for these options. */
function argsFor(o: ConvertOptionsInput): string[] {
  const args = ["--src", SOURCE, "--dst", DEST];
  if (o.engine !== undefined) args.push("--engine", o.engine);
  if (o.format !== undefined) args.push("--format", o.format);
  if (o.force) args.push("--force");
  if (o.workers !== undefined) args.push("--workers", String(o.workers));
  if (o.gpus !== undefined) args.push("--gpus", String(o.gpus));
  if (o.shardSizeBytes !== undefined) args.push("--shard-size", String(o.shardSizeBytes));
  for (const pattern of o.ignore ?? []) args.push("--ignore", pattern);
  if (o.quantizeAttention !== undefined)
    args.push(o.quantizeAttention ? "--quantize-attention" : "--no-quantize-attention");
  if (o.inputScale !== undefined) args.push("--input-scale", String(o.inputScale));
  if (o.calibrationFile !== undefined) args.push("--calibration-file", o.calibrationFile);
  return args;
}

/** The job an agent claims for a run queued with these options. */
function jobFor(options: ConvertOptionsInput): unknown {
  const job = {
    runId: "run-1",
    attempt: 1,
    sourcePath: SOURCE,
    destPath: DEST,
    leaseSeconds: 60,
    ackedSeq: 0,
  };
  return { ...job, kind: "CONVERT", options };
}

/** The CLI's outcome: its resolved options in the protocol's terms, or its error message. */
function cliOutcome(o: ConvertOptionsInput): { options: ConvertOptions } | { error: string } {
  try {
    const r = parseConvertArgs(argsFor(o), "/");
    const {
      engine,
      format,
      force,
      overwrite,
      workers,
      gpus,
      shardSizeBytes,
      ignore,
      quantizeAttention,
      inputScale,
      calibrationFile,
    } = r;
    const options = {
      engine,
      format,
      force,
      overwrite,
      workers,
      gpus,
      shardSizeBytes,
      ignore,
      quantizeAttention,
      inputScale,
      calibrationFile,
    };
    return {
      options: Object.fromEntries(
        Object.entries(options).filter(([, v]) => v !== undefined),
      ) as ConvertOptions,
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe("convert options: one schema for the form, the CLI and the agent", () => {
  it.each(CASES)("$name", ({ options }) => {
    const expected = ConvertOptionsSchema.safeParse(options);
    const form = parseNewRunForm(formFor(options));
    const cli = cliOutcome(options);
    const agent = readJob(jobFor(options));

    if (expected.success) {
      const o = expected.data;
      expect(form).toEqual({ spec: expect.objectContaining({ kind: "CONVERT", options: o }) });
      expect(agent).toEqual({ job: expect.objectContaining({ kind: "CONVERT", options: o }) });
      // The CLI resolves the engine's format where the run leaves it to the engine.
      expect(cli).toEqual({ options: { ...o, format: engineFormat(o.engine, o.format) } });
      return;
    }
    const issue = expected.error.issues[0];
    if (issue === undefined) throw new Error("a refused case has an issue");
    const field = issue.path.filter((p) => typeof p !== "number").join(".");
    expect("errors" in form && form.errors[`options.${field}`]).toBe(issue.message);
    expect("error" in cli && cli.error).toContain(`${issue.path.join(".")}: ${issue.message}`);
    expect("problem" in agent && agent.problem).toContain(issue.message);
  });
});
