"use client";

import {
  CALIBRATION_METHOD_DEFAULTS,
  ENGINE_PROFILES,
  EngineSchema,
  OUTPUT_FORMAT_LABELS,
  OutputFormatSchema,
} from "@fp4kit/protocol";
import { Field, Input, Select, Textarea } from "../../ui/field";
import {
  attentionRefusal,
  type FieldErrors,
  forceApplies,
  formatRefusal,
  type NewRunFormState,
  needsInputScales,
} from "./form-state";

type Props = {
  form: NewRunFormState;
  errors: FieldErrors;
  set: <K extends keyof NewRunFormState>(key: K, value: NewRunFormState[K]) => void;
};

function IgnoreField({ form, errors, set }: Props) {
  return (
    <Field
      label="Extra ignore regexes"
      htmlFor="ignore"
      className="md:col-span-2"
      error={errors["options.ignore"]}
      hint="One per line, added to the preset's list (lm_head, embeddings, router gates, norms, indexer, mHC). Matching tensors are copied unchanged."
    >
      <Textarea
        id="ignore"
        rows={3}
        value={form.ignore}
        onChange={(e) => set("ignore", e.target.value)}
        placeholder={"model\\.layers\\.0\\..*\n.*\\.shared_experts\\..*"}
      />
    </Field>
  );
}

/** Off by default: a ticked box lets the checkpoint folder's Python files run on the agent's host. */
function TrustRemoteCodeField({ form, errors, set }: Props) {
  return (
    <div className="md:col-span-2">
      <label htmlFor="trustRemoteCode" className="flex items-center gap-2 text-sm font-medium text-zinc-800">
        <input
          id="trustRemoteCode"
          type="checkbox"
          checked={form.trustRemoteCode}
          onChange={(e) => set("trustRemoteCode", e.target.checked)}
          className="size-4 rounded border-zinc-300 text-indigo-600"
        />
        Trust remote code
      </label>
      {errors["options.trustRemoteCode"] ? (
        <p className="mt-1.5 text-xs text-red-600" role="alert">
          {errors["options.trustRemoteCode"]}
        </p>
      ) : (
        <p
          className={
            form.trustRemoteCode
              ? "mt-1.5 text-xs font-medium text-amber-700"
              : "mt-1.5 text-xs text-zinc-500"
          }
          data-testid="trust-remote-code-warning"
        >
          Runs the Python files inside the checkpoint folder on the agent's host, with the agent's
          permissions. Tick it only for a checkpoint from a source you trust; DeepSeek V3, V3.2 and V4 load
          without it.
        </p>
      )}
    </div>
  );
}

function ConvertOptions({ form, errors, set }: Props) {
  const scales = needsInputScales(form);
  const refusal = formatRefusal(form);
  const attention = attentionRefusal(form);
  return (
    <>
      <Field
        label="Engine"
        htmlFor="engine"
        error={errors["options.engine"]}
        hint="The output is written so this engine loads it as it is."
      >
        <Select
          id="engine"
          value={form.engine}
          onChange={(e) => set("engine", e.target.value as NewRunFormState["engine"])}
        >
          {EngineSchema.options.map((engine) => (
            <option key={engine} value={engine}>
              {ENGINE_PROFILES[engine].label}
            </option>
          ))}
        </Select>
      </Field>
      <Field
        label="Output format"
        htmlFor="format"
        error={errors["options.format"]}
        hint={refusal === undefined ? undefined : `Not loadable: ${refusal}`}
      >
        <Select
          id="format"
          value={form.format}
          onChange={(e) => set("format", e.target.value as NewRunFormState["format"])}
        >
          <option value="engine">
            Engine default ({OUTPUT_FORMAT_LABELS[ENGINE_PROFILES[form.engine].defaultFormat]})
          </option>
          {OutputFormatSchema.options.map((f) => (
            <option key={f} value={f}>
              {OUTPUT_FORMAT_LABELS[f]}
            </option>
          ))}
        </Select>
      </Field>
      {forceApplies(form) && (
        <Field
          label="Write it anyway"
          htmlFor="force"
          hint={
            refusal === undefined
              ? "A DeepSeek V4 source with NVFP4 attention is written anyway; the reason is recorded as a warning in the run's report."
              : "The reason is recorded as a warning in the run's report."
          }
        >
          <input
            id="force"
            type="checkbox"
            checked={form.force}
            onChange={(e) => set("force", e.target.checked)}
          />
        </Field>
      )}
      <Field
        label="Shard size (GB)"
        htmlFor="shardSizeGb"
        error={errors["options.shardSizeBytes"]}
        hint="Output shard size; ~5 GB like the source."
      >
        <Input
          id="shardSizeGb"
          inputMode="decimal"
          value={form.shardSizeGb}
          onChange={(e) => set("shardSizeGb", e.target.value)}
        />
      </Field>
      <Field
        label="CPU workers"
        htmlFor="workers"
        error={errors["options.workers"]}
        hint="Threads for the native kernel; 0 = all cores."
      >
        <Input
          id="workers"
          inputMode="numeric"
          value={form.workers}
          onChange={(e) => set("workers", e.target.value)}
        />
      </Field>
      <Field label="GPUs" htmlFor="gpus" error={errors["options.gpus"]} hint="0 = CPU only.">
        <Input
          id="gpus"
          inputMode="numeric"
          value={form.gpus}
          onChange={(e) => set("gpus", e.target.value)}
        />
      </Field>
      {scales && (
        <>
          <Field
            label="Calibration file"
            htmlFor="calibrationFile"
            error={errors["options.calibrationFile"]}
            hint="JSON of per-module activation input scales, under the agent's roots."
          >
            <Input
              id="calibrationFile"
              value={form.calibrationFile}
              onChange={(e) => set("calibrationFile", e.target.value)}
              className="font-mono"
            />
          </Field>
          <Field
            label="Fallback input scale"
            htmlFor="inputScale"
            error={errors["options.inputScale"]}
            hint="Used for every activation when no calibration file is given."
          >
            <Input
              id="inputScale"
              inputMode="decimal"
              value={form.inputScale}
              onChange={(e) => set("inputScale", e.target.value)}
            />
          </Field>
        </>
      )}
      <Field
        label="Attention projections"
        htmlFor="quantizeAttention"
        error={errors["options.quantizeAttention"]}
        hint={attention === undefined ? undefined : `Refused for DeepSeek V4 sources: ${attention}`}
      >
        <Select
          id="quantizeAttention"
          value={form.quantizeAttention}
          onChange={(e) => set("quantizeAttention", e.target.value as NewRunFormState["quantizeAttention"])}
        >
          <option value="preset">Preset default (NVFP4 for V3/V3.2, kept for V4)</option>
          <option value="on">Quantize to NVFP4</option>
          <option value="off">Keep as in the source</option>
        </Select>
      </Field>
      <IgnoreField form={form} errors={errors} set={set} />
    </>
  );
}

function CalibrateOptions({ form, errors, set }: Props) {
  const inputScales = form.calibrationMethod === "input-scales";
  const defaults = CALIBRATION_METHOD_DEFAULTS[form.calibrationMethod];
  return (
    <>
      <Field
        label="Method"
        htmlFor="calibrationMethod"
        className="md:col-span-2"
        error={errors["options.method"]}
        hint={
          inputScales
            ? "Measures every Linear's activation range on the FP8 model, one layer at a time, and writes the calibration file a W4A4 conversion takes. Minutes to an hour."
            : "llm-compressor oneshot writes a whole calibrated W4A4 checkpoint. Hours to days."
        }
      >
        <Select
          id="calibrationMethod"
          value={form.calibrationMethod}
          onChange={(e) => set("calibrationMethod", e.target.value as NewRunFormState["calibrationMethod"])}
        >
          <option value="input-scales">Input scales for a W4A4 conversion (fp4kit calibrate)</option>
          <option value="llm-compressor">Path B: calibrated checkpoint (llm-compressor)</option>
        </Select>
      </Field>
      <Field
        label={inputScales ? "Sequences" : "Calibration samples"}
        htmlFor="numSamples"
        error={errors["options.numSamples"]}
      >
        <Input
          id="numSamples"
          inputMode="numeric"
          value={form.numSamples}
          placeholder={String(defaults.numSamples)}
          onChange={(e) => set("numSamples", e.target.value)}
        />
      </Field>
      <Field
        label={inputScales ? "Tokens per sequence" : "Max sequence length"}
        htmlFor="maxSeqLen"
        error={errors["options.maxSeqLen"]}
      >
        <Input
          id="maxSeqLen"
          inputMode="numeric"
          value={form.maxSeqLen}
          placeholder={String(defaults.maxSeqLen)}
          onChange={(e) => set("maxSeqLen", e.target.value)}
        />
      </Field>
      <Field
        label={inputScales ? "Calibration text" : "Calibration dataset"}
        htmlFor="dataset"
        className="md:col-span-2"
        error={errors["options.dataset"]}
        hint={
          inputScales
            ? "Optional: a UTF-8 text file inside the agent's data roots; empty uses the text shipped with fp4kit."
            : "A Hugging Face dataset id, or an absolute path inside the agent's data roots."
        }
      >
        <Input
          id="dataset"
          value={form.dataset}
          placeholder={defaults.dataset ?? "the text shipped with fp4kit"}
          onChange={(e) => set("dataset", e.target.value)}
          className="font-mono"
        />
      </Field>
      {!inputScales && <IgnoreField form={form} errors={errors} set={set} />}
      <TrustRemoteCodeField form={form} errors={errors} set={set} />
    </>
  );
}

function VerifyOptions({ form, errors, set }: Props) {
  return (
    <>
      <Field
        label="Reference FP8 checkpoint"
        htmlFor="referencePath"
        error={errors["options.referencePath"]}
        hint="Optional: compares the forward pass against the source."
      >
        <Input
          id="referencePath"
          value={form.referencePath}
          onChange={(e) => set("referencePath", e.target.value)}
          className="font-mono"
        />
      </Field>
      <Field label="Tokens to generate" htmlFor="generateTokens" error={errors["options.generateTokens"]}>
        <Input
          id="generateTokens"
          inputMode="numeric"
          value={form.generateTokens}
          onChange={(e) => set("generateTokens", e.target.value)}
        />
      </Field>
      <TrustRemoteCodeField form={form} errors={errors} set={set} />
    </>
  );
}

/** The options of the selected kind (inspect has none). */
export function OptionsFields(props: Props) {
  switch (props.form.kind) {
    case "CONVERT":
      return <ConvertOptions {...props} />;
    case "CALIBRATE":
      return <CalibrateOptions {...props} />;
    case "VERIFY":
      return <VerifyOptions {...props} />;
    case "INSPECT":
      return null;
  }
}
