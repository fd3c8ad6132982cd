/**
 * The New run page's model, free of React and the DOM: the form's start from the URL, the
 * destination it suggests, the check of paths against the agent's roots, and what submitting does.
 * The form's fields and their parsing into a spec are form-state.ts.
 */
import { type NewRunInput, type RunKind, RunKindSchema } from "@fp4kit/protocol";
import { isUnderSomeRoot } from "../../../lib/paths";
import {
  type FieldErrors,
  INITIAL_FORM,
  KINDS_WITH_DESTINATION,
  type NewRunFormState,
  parseNewRunForm,
} from "./form-state";

/** Initial values from the URL, e.g. "Convert this checkpoint" on an inspect run links here with them. */
export function initialForm(params: { get(name: string): string | null }): NewRunFormState {
  const kind = RunKindSchema.safeParse(params.get("kind"));
  return {
    ...INITIAL_FORM,
    kind: kind.success ? kind.data : INITIAL_FORM.kind,
    agentId: params.get("agent") ?? "",
    sourcePath: params.get("source") ?? "",
    destPath: params.get("dest") ?? "",
    referencePath: params.get("reference") ?? "",
  };
}

/** Whether the run writes a calibration file (input scales) rather than a checkpoint folder. */
export function writesCalibrationFile(form: NewRunFormState): boolean {
  return form.kind === "CALIBRATE" && form.calibrationMethod === "input-scales";
}

/** Whether the run's kind writes somewhere (a destination field is shown and required). */
export function needsDestination(form: NewRunFormState): boolean {
  return KINDS_WITH_DESTINATION.includes(form.kind);
}

/**
 * "/data/DeepSeek-V3-FP8" → "/data/DeepSeek-V3-NVFP4" (or "-NVFP4" appended); an input-scales
 * calibration writes a file beside the source: "/data/DeepSeek-V3-FP8.calibration.json".
 */
export function suggestDestination(source: string, kind: RunKind, inputScales: boolean): string {
  const trimmed = source.trim().replace(/\/+$/, "");
  if (!trimmed) return "";
  if (kind === "CALIBRATE" && inputScales) return `${trimmed}.calibration.json`;
  const suffix = kind === "CALIBRATE" ? "NVFP4-calibrated" : "NVFP4";
  return /fp8/i.test(trimmed.split("/").at(-1) ?? "")
    ? trimmed.replace(/fp8(?!.*fp8)/i, suffix)
    : `${trimmed}-${suffix}`;
}

/** The chosen agent as far as the form checks paths against it. */
export interface AgentRoots {
  name: string;
  roots: readonly string[];
}

/** The agent re-checks paths against its roots; checking here turns a failed run into a form error. */
export function rootErrors(form: NewRunFormState, agent: AgentRoots | undefined): FieldErrors {
  if (!agent || agent.roots.length === 0) return {};
  const found: FieldErrors = {};
  const outside = `Not under ${agent.name}'s roots: ${agent.roots.join(", ")}`;
  if (form.sourcePath && !isUnderSomeRoot(form.sourcePath.trim(), agent.roots)) found.sourcePath = outside;
  if (needsDestination(form) && form.destPath && !isUnderSomeRoot(form.destPath.trim(), agent.roots))
    found.destPath = outside;
  return found;
}

/**
 * What submitting the form does: show errors, ask before a conversion overwrites its destination,
 * or queue the spec.
 */
export type Submission =
  | { action: "fix"; errors: FieldErrors }
  | { action: "confirm-overwrite"; spec: NewRunInput }
  | { action: "queue"; spec: NewRunInput };

export function submitNewRun(form: NewRunFormState, agent: AgentRoots | undefined): Submission {
  const parsed = parseNewRunForm(form);
  const errors = { ...("errors" in parsed ? parsed.errors : {}), ...rootErrors(form, agent) };
  if (!("spec" in parsed) || Object.keys(errors).length > 0) return { action: "fix", errors };
  if (parsed.spec.kind === "CONVERT" && parsed.spec.options.overwrite) {
    return { action: "confirm-overwrite", spec: parsed.spec };
  }
  return { action: "queue", spec: parsed.spec };
}

/** The spec the form holds now, or null while it does not parse (for the list of changes from a base run). */
export function currentSpec(form: NewRunFormState): NewRunInput | null {
  const parsed = parseNewRunForm(form);
  return "spec" in parsed ? parsed.spec : null;
}
