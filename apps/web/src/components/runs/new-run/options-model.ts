/**
 * The Options card's model, free of React and the DOM: what each kind's option fields say and offer
 * (choices, labels, hints, placeholders) and which of them are shown, derived from the form's
 * state. The components (convert-options.tsx, calibrate-options.tsx, verify-options.tsx) lay it out;
 * parsing the fields into a spec is form-state.ts.
 */
import {
  CALIBRATION_METHOD_DEFAULTS,
  type CalibrationMethod,
  ENGINE_PROFILES,
  type Engine,
  EngineSchema,
  OUTPUT_FORMAT_LABELS,
  OutputFormatSchema,
} from "@fp4kit/protocol";
import {
  attentionRefusal,
  calibrationTakesIgnore,
  type FieldErrors,
  forceApplies,
  formatRefusal,
  type NewRunFormState,
  needsInputScales,
  type SetFormField,
} from "./form-state";

/** What every option component is given: the form, its errors by field path, and its setter. */
export interface OptionFieldsProps {
  form: NewRunFormState;
  errors: FieldErrors;
  set: SetFormField;
}

/** One entry of a select. */
export interface Choice<V extends string> {
  value: V;
  label: string;
}

export interface ConvertOptionsView {
  engines: Choice<Engine>[];
  /** "engine" first, named after the chosen engine's own format, then every format. */
  formats: Choice<NewRunFormState["format"]>[];
  /** Under the format: why the chosen engine does not load it. */
  formatHint: string | undefined;
  /** The "write it anyway" box's hint; undefined while the box is hidden (forcing would change nothing). */
  forceHint: string | undefined;
  /** The format quantizes activations: the calibration file and fallback input scale are shown. */
  inputScales: boolean;
  attentionChoices: Choice<NewRunFormState["quantizeAttention"]>[];
  /** Under the attention choice: why a DeepSeek V4 source refuses it. */
  attentionHint: string | undefined;
}

const ATTENTION_CHOICES: Choice<NewRunFormState["quantizeAttention"]>[] = [
  { value: "preset", label: "Preset default (NVFP4 for V3/V3.2, kept for V4)" },
  { value: "on", label: "Quantize to NVFP4" },
  { value: "off", label: "Keep as in the source" },
];

export function convertOptionsView(form: NewRunFormState): ConvertOptionsView {
  const refusal = formatRefusal(form);
  const attention = attentionRefusal(form);
  const engineDefault = OUTPUT_FORMAT_LABELS[ENGINE_PROFILES[form.engine].defaultFormat];
  return {
    engines: EngineSchema.options.map((engine) => ({ value: engine, label: ENGINE_PROFILES[engine].label })),
    formats: [
      { value: "engine", label: `Engine default (${engineDefault})` },
      ...OutputFormatSchema.options.map((format) => ({ value: format, label: OUTPUT_FORMAT_LABELS[format] })),
    ],
    formatHint: refusal === undefined ? undefined : `Not loadable: ${refusal}`,
    forceHint: !forceApplies(form)
      ? undefined
      : refusal === undefined
        ? "A DeepSeek V4 source with NVFP4 attention is written anyway; the reason is recorded as a warning in the run's report."
        : "The reason is recorded as a warning in the run's report.",
    inputScales: needsInputScales(form),
    attentionChoices: ATTENTION_CHOICES,
    attentionHint: attention === undefined ? undefined : `Refused for DeepSeek V4 sources: ${attention}`,
  };
}

/** A text field's words: the method decides what the field means and what empty stands for. */
export interface TextFieldView {
  label: string;
  placeholder: string;
  hint?: string;
}

export interface CalibrateOptionsView {
  methods: Choice<CalibrationMethod>[];
  methodHint: string;
  numSamples: TextFieldView;
  maxSeqLen: TextFieldView;
  dataset: TextFieldView;
  /** The ignore regexes are shown (llm-compressor keeps those Linears unquantized). */
  ignore: boolean;
}

const CALIBRATION_METHODS: Choice<CalibrationMethod>[] = [
  { value: "input-scales", label: "Input scales for a W4A4 conversion (fp4kit calibrate)" },
  { value: "llm-compressor", label: "Path B: calibrated checkpoint (llm-compressor)" },
];

export function calibrateOptionsView(form: NewRunFormState): CalibrateOptionsView {
  const inputScales = form.calibrationMethod === "input-scales";
  const defaults = CALIBRATION_METHOD_DEFAULTS[form.calibrationMethod];
  return {
    methods: CALIBRATION_METHODS,
    methodHint: inputScales
      ? "Measures every Linear's activation range on the FP8 model, one layer at a time, and writes the calibration file a W4A4 conversion takes. Minutes to an hour."
      : "llm-compressor oneshot writes a whole calibrated W4A4 checkpoint. Hours to days.",
    numSamples: {
      label: inputScales ? "Sequences" : "Calibration samples",
      placeholder: String(defaults.numSamples),
    },
    maxSeqLen: {
      label: inputScales ? "Tokens per sequence" : "Max sequence length",
      placeholder: String(defaults.maxSeqLen),
    },
    dataset: {
      label: inputScales ? "Calibration text" : "Calibration dataset",
      placeholder: defaults.dataset ?? "the text shipped with fp4kit",
      hint: inputScales
        ? "Optional: a UTF-8 text file inside the agent's data roots; empty uses the text shipped with fp4kit."
        : "A Hugging Face dataset id, or an absolute path inside the agent's data roots.",
    },
    ignore: calibrationTakesIgnore(form),
  };
}
