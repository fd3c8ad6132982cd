import {
  CALIBRATE_DEFAULTS,
  type CalibrationMethod,
  CONVERT_DEFAULTS,
  type Engine,
  engineFormat,
  formatNeedsInputScales,
  type NewRunInput,
  NewRunInputSchema,
  type OutputFormat,
  type RunKind,
  unsupportedEngineChoice,
  VERIFY_DEFAULTS,
} from "@fp4kit/protocol";
import type { z } from "zod";

/** The New run form's raw state: everything is text until it is parsed into a run spec. */
export interface NewRunFormState {
  agentId: string;
  kind: RunKind;
  sourcePath: string;
  destPath: string;
  // CONVERT
  engine: Engine;
  /** "engine": the format the engine loads (ENGINE_PROFILES), sent as no format. */
  format: OutputFormat | "engine";
  /** Write a combination the engine does not load. */
  force: boolean;
  /** Convert into a destination holding another conversion or other files (confirmed on submit). */
  overwrite: boolean;
  workers: string;
  gpus: string;
  shardSizeGb: string;
  ignore: string;
  /** "preset": leave it to the model family's preset (on for V3/V3.2, off for V4). */
  quantizeAttention: "preset" | "on" | "off";
  inputScale: string;
  calibrationFile: string;
  // CALIBRATE
  calibrationMethod: CalibrationMethod;
  /** Empty: the method's default (CALIBRATION_METHOD_DEFAULTS), shown as the placeholder. */
  numSamples: string;
  maxSeqLen: string;
  dataset: string;
  // CALIBRATE and VERIFY: load the checkpoint's own Python code (off unless ticked)
  trustRemoteCode: boolean;
  // VERIFY
  referencePath: string;
  generateTokens: string;
}

/** Sets one field of the form (and clears its error). */
export type SetFormField = <K extends keyof NewRunFormState>(key: K, value: NewRunFormState[K]) => void;

/** The protocol schemas' defaults, as the form's text (options without a default start empty). */
export const INITIAL_FORM: NewRunFormState = {
  agentId: "",
  kind: "INSPECT",
  sourcePath: "",
  destPath: "",
  engine: CONVERT_DEFAULTS.engine,
  format: CONVERT_DEFAULTS.format ?? "engine",
  force: CONVERT_DEFAULTS.force,
  overwrite: CONVERT_DEFAULTS.overwrite,
  workers: String(CONVERT_DEFAULTS.workers),
  gpus: String(CONVERT_DEFAULTS.gpus),
  shardSizeGb: String(CONVERT_DEFAULTS.shardSizeBytes / 1e9),
  ignore: CONVERT_DEFAULTS.ignore.join("\n"),
  quantizeAttention: quantizeAttentionChoice(CONVERT_DEFAULTS.quantizeAttention),
  inputScale: "",
  calibrationFile: "",
  // The form offers the fast method first; the schema's default stays Path B for runs and API
  // calls that name none.
  calibrationMethod: "input-scales",
  numSamples: "",
  maxSeqLen: "",
  dataset: "",
  trustRemoteCode: CALIBRATE_DEFAULTS.trustRemoteCode,
  referencePath: "",
  generateTokens: String(VERIFY_DEFAULTS.generateTokens),
};

/** The form's three-way choice for a convert run's quantizeAttention option. */
function quantizeAttentionChoice(value: boolean | undefined): NewRunFormState["quantizeAttention"] {
  if (value === undefined) return "preset";
  return value ? "on" : "off";
}

/** Kinds that write a new checkpoint and so need a destination folder. */
export const KINDS_WITH_DESTINATION: readonly RunKind[] = ["CONVERT", "CALIBRATE"];

/** The format a convert run will write: the one chosen, else the engine's. */
export function chosenFormat(form: NewRunFormState): OutputFormat {
  return engineFormat(form.engine, form.format === "engine" ? undefined : form.format);
}

/** Whether the chosen format quantizes activations, and so asks for input scales. */
export function needsInputScales(form: NewRunFormState): boolean {
  return formatNeedsInputScales(chosenFormat(form));
}

/** Why the chosen engine does not load the chosen format, whatever the model. */
export function formatRefusal(form: NewRunFormState): string | undefined {
  return unsupportedEngineChoice({ engine: form.engine, format: chosenFormat(form) });
}

/**
 * Why NVFP4 attention is refused when the source turns out to be DeepSeek V4 (the family is known
 * only once the agent reads the source; V3 and V3.2 take it).
 */
export function attentionRefusal(form: NewRunFormState): string | undefined {
  if (form.quantizeAttention !== "on") return undefined;
  return unsupportedEngineChoice({
    engine: form.engine,
    format: chosenFormat(form),
    family: "deepseek-v4",
    quantizeAttention: true,
  });
}

/**
 * Whether the "write it anyway" box is shown: whenever force can change what happens. A force left
 * ticked while the box is hidden is sent but changes nothing (the converter forces refusals only).
 */
export function forceApplies(form: NewRunFormState): boolean {
  return formatRefusal(form) !== undefined || attentionRefusal(form) !== undefined;
}

/**
 * Whether a calibration run takes the ignore regexes: llm-compressor keeps those Linears
 * unquantized; input-scales measures every Linear (what stays unquantized is chosen when converting).
 */
export function calibrationTakesIgnore(form: NewRunFormState): boolean {
  return form.calibrationMethod === "llm-compressor";
}

/** "" → undefined and "12" → 12, but "abc" → NaN so the schema reports it instead of dropping it. */
function numberOrUndefined(text: string): number | undefined {
  const trimmed = text.trim();
  return trimmed === "" ? undefined : Number(trimmed);
}
function textOrUndefined(text: string): string | undefined {
  return text.trim() === "" ? undefined : text.trim();
}
function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The options object of the selected kind, in the protocol's shape. */
function optionsOf(form: NewRunFormState): Record<string, unknown> {
  switch (form.kind) {
    case "INSPECT":
      return {};
    case "CONVERT": {
      const shardGb = numberOrUndefined(form.shardSizeGb);
      const scales = needsInputScales(form);
      return {
        engine: form.engine,
        format: form.format === "engine" ? undefined : form.format,
        force: form.force || undefined,
        overwrite: form.overwrite || undefined,
        workers: numberOrUndefined(form.workers),
        gpus: numberOrUndefined(form.gpus),
        shardSizeBytes: shardGb === undefined ? undefined : Math.round(shardGb * 1e9),
        ignore: lines(form.ignore),
        quantizeAttention: form.quantizeAttention === "preset" ? undefined : form.quantizeAttention === "on",
        inputScale: scales ? numberOrUndefined(form.inputScale) : undefined,
        calibrationFile: scales ? textOrUndefined(form.calibrationFile) : undefined,
      };
    }
    case "CALIBRATE":
      return {
        method: form.calibrationMethod,
        numSamples: numberOrUndefined(form.numSamples),
        maxSeqLen: numberOrUndefined(form.maxSeqLen),
        dataset: textOrUndefined(form.dataset),
        ignore: calibrationTakesIgnore(form) ? lines(form.ignore) : undefined,
        trustRemoteCode: form.trustRemoteCode,
      };
    case "VERIFY":
      return {
        referencePath: textOrUndefined(form.referencePath),
        generateTokens: numberOrUndefined(form.generateTokens),
        trustRemoteCode: form.trustRemoteCode,
      };
  }
}

export type FieldErrors = Record<string, string>;

/** The form's numeric fields: the unit the user types, and the schema's value → that unit. */
const NUMBER_FIELDS: Record<string, { unit: string; fromSchema?: (value: number) => number }> = {
  "options.workers": { unit: "threads" },
  "options.gpus": { unit: "GPUs" },
  "options.shardSizeBytes": { unit: "GB", fromSchema: (bytes) => bytes / 1e9 },
  "options.numSamples": { unit: "samples" },
  "options.maxSeqLen": { unit: "tokens" },
  "options.generateTokens": { unit: "tokens" },
};

/** A bound in the unit the user types, to two significant digits rounded to the allowed side. */
function shownBound(key: string, bound: number, side: "min" | "max"): string {
  const field = NUMBER_FIELDS[key];
  if (!field?.fromSchema) return `${bound}${field ? ` ${field.unit}` : ""}`;
  const value = field.fromSchema(bound);
  const step = 10 ** (Math.floor(Math.log10(value)) - 1);
  const rounded = (side === "min" ? Math.ceil(value / step) : Math.floor(value / step)) * step;
  return `${Number(rounded.toPrecision(2))} ${field.unit}`;
}

const PATH_FIELDS = ["sourcePath", "destPath", "options.calibrationFile", "options.referencePath"];

/** A schema issue in the form's words and units, for the field `key` it is shown under. */
function formMessage(key: string, issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      // Text that is not a number reaches the schema as NaN.
      if (issue.expected === "int")
        return `Enter a whole number${NUMBER_FIELDS[key] ? ` of ${NUMBER_FIELDS[key].unit}` : ""}`;
      if (issue.expected === "number") return "Enter a number";
      break;
    case "too_small":
      if (issue.origin === "string" && PATH_FIELDS.includes(key)) {
        return "Enter an absolute path on the agent's host";
      }
      if (issue.origin === "number") {
        if (!issue.inclusive && Number(issue.minimum) === 0) return "Enter a number above 0";
        return `At least ${shownBound(key, Number(issue.minimum), "min")}`;
      }
      break;
    case "too_big":
      if (issue.origin === "number") return `At most ${shownBound(key, Number(issue.maximum), "max")}`;
      break;
    case "custom":
      // The schema's rule names the run kind ("CONVERT runs need a destination"); the form says
      // what the field is for.
      if (key === "destPath") return "Enter the folder the new checkpoint is written to";
      break;
  }
  return issue.message;
}

/**
 * Parses the form with NewRunInputSchema, the schema the server applies again. Errors are keyed by
 * the path of the failing field ("sourcePath", "options.shardSizeBytes", ...). Cross-field rules
 * (a destination for convert, input scales for W4A4 formats, a format the engine loads) run once
 * the fields themselves are valid.
 */
export function parseNewRunForm(form: NewRunFormState): { spec: NewRunInput } | { errors: FieldErrors } {
  const candidate = {
    agentId: form.agentId || null,
    kind: form.kind,
    sourcePath: form.sourcePath.trim(),
    destPath: KINDS_WITH_DESTINATION.includes(form.kind) ? form.destPath.trim() || null : null,
    options: optionsOf(form),
  };
  const parsed = NewRunInputSchema.safeParse(candidate);
  if (parsed.success) return { spec: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.filter((p) => typeof p !== "number").join(".");
    errors[key] ??= formMessage(key, issue);
  }
  return { errors };
}
