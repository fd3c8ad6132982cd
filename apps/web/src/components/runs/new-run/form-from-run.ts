import {
  DEFAULT_ENGINE,
  EngineSchema,
  OutputFormatSchema,
  type RunKind,
  RunSpecSchema,
} from "@fp4kit/protocol";
import { INITIAL_FORM, type NewRunFormState } from "./form-state";

/** What a run was queued with, as stored: enough to queue it again. */
export interface StoredRunSpec {
  kind: RunKind;
  agentId: string | null;
  sourcePath: string;
  destPath: string | null;
  options: Record<string, unknown>;
}

const text = (value: unknown, fallback: string) =>
  value === undefined || value === null ? fallback : String(value);
const lines = (value: unknown) => (Array.isArray(value) ? value.join("\n") : "");

/**
 * The New run form filled with a run's spec: the inverse of the form's parsing, so that queueing the
 * prefilled form unchanged gives the same spec. Options the schema defaults are shown with their
 * default; an option the run's kind does not have keeps the form's default.
 */
export function formFromRun(run: StoredRunSpec): NewRunFormState {
  const parsed = RunSpecSchema.safeParse({ kind: run.kind, options: run.options });
  const options: Record<string, unknown> = parsed.success ? parsed.data.options : run.options;
  const form: NewRunFormState = {
    ...INITIAL_FORM,
    kind: run.kind,
    agentId: run.agentId ?? "",
    sourcePath: run.sourcePath,
    destPath: run.destPath ?? "",
  };
  switch (run.kind) {
    case "INSPECT":
      return form;
    case "CONVERT":
      return {
        ...form,
        engine: EngineSchema.safeParse(options.engine).data ?? DEFAULT_ENGINE,
        // No stored format: the engine's, as when the run was queued.
        format: OutputFormatSchema.safeParse(options.format).data ?? "engine",
        force: options.force === true,
        // overwrite stays off: replacing a destination is chosen, and confirmed, each time.
        workers: text(options.workers, form.workers),
        gpus: text(options.gpus, form.gpus),
        shardSizeGb:
          typeof options.shardSizeBytes === "number"
            ? String(options.shardSizeBytes / 1e9)
            : form.shardSizeGb,
        ignore: lines(options.ignore),
        quantizeAttention:
          options.quantizeAttention === undefined ? "preset" : options.quantizeAttention ? "on" : "off",
        inputScale: text(options.inputScale, ""),
        calibrationFile: text(options.calibrationFile, ""),
      };
    case "CALIBRATE":
      return {
        ...form,
        calibrationMethod: options.method === "input-scales" ? "input-scales" : "llm-compressor",
        numSamples: text(options.numSamples, form.numSamples),
        maxSeqLen: text(options.maxSeqLen, form.maxSeqLen),
        dataset: text(options.dataset, form.dataset),
        ignore: lines(options.ignore),
      };
    case "VERIFY":
      return {
        ...form,
        referencePath: text(options.referencePath, ""),
        generateTokens: text(options.generateTokens, form.generateTokens),
      };
  }
}
