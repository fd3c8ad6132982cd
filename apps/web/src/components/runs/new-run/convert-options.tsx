"use client";

import { Field, Input, Select } from "../../ui/field";
import type { NewRunFormState } from "./form-state";
import { IgnoreField } from "./ignore-field";
import { convertOptionsView, type OptionFieldsProps } from "./options-model";

/** A conversion's options; what is offered and shown follows the form (convertOptionsView). */
export function ConvertOptions({ form, errors, set }: OptionFieldsProps) {
  const view = convertOptionsView(form);
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
          {view.engines.map((engine) => (
            <option key={engine.value} value={engine.value}>
              {engine.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Output format" htmlFor="format" error={errors["options.format"]} hint={view.formatHint}>
        <Select
          id="format"
          value={form.format}
          onChange={(e) => set("format", e.target.value as NewRunFormState["format"])}
        >
          {view.formats.map((format) => (
            <option key={format.value} value={format.value}>
              {format.label}
            </option>
          ))}
        </Select>
      </Field>
      {view.forceHint !== undefined && (
        <Field label="Write it anyway" htmlFor="force" hint={view.forceHint}>
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
      {view.inputScales && <InputScaleFields form={form} errors={errors} set={set} />}
      <Field
        label="Attention projections"
        htmlFor="quantizeAttention"
        error={errors["options.quantizeAttention"]}
        hint={view.attentionHint}
      >
        <Select
          id="quantizeAttention"
          value={form.quantizeAttention}
          onChange={(e) => set("quantizeAttention", e.target.value as NewRunFormState["quantizeAttention"])}
        >
          {view.attentionChoices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </Select>
      </Field>
      <IgnoreField form={form} errors={errors} set={set} />
    </>
  );
}

/** The activation input scales a W4A4 format needs: a calibration file, or one scale for all. */
function InputScaleFields({ form, errors, set }: OptionFieldsProps) {
  return (
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
  );
}
