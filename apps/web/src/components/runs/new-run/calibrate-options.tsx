"use client";

import { Field, Input, Select } from "../../ui/field";
import type { NewRunFormState } from "./form-state";
import { IgnoreField } from "./ignore-field";
import { calibrateOptionsView, type OptionFieldsProps } from "./options-model";
import { TrustRemoteCodeField } from "./trust-remote-code-field";

/** A calibration run's options; their words follow the method (calibrateOptionsView). */
export function CalibrateOptions({ form, errors, set }: OptionFieldsProps) {
  const view = calibrateOptionsView(form);
  return (
    <>
      <Field
        label="Method"
        htmlFor="calibrationMethod"
        className="md:col-span-2"
        error={errors["options.method"]}
        hint={view.methodHint}
      >
        <Select
          id="calibrationMethod"
          value={form.calibrationMethod}
          onChange={(e) => set("calibrationMethod", e.target.value as NewRunFormState["calibrationMethod"])}
        >
          {view.methods.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label={view.numSamples.label} htmlFor="numSamples" error={errors["options.numSamples"]}>
        <Input
          id="numSamples"
          inputMode="numeric"
          value={form.numSamples}
          placeholder={view.numSamples.placeholder}
          onChange={(e) => set("numSamples", e.target.value)}
        />
      </Field>
      <Field label={view.maxSeqLen.label} htmlFor="maxSeqLen" error={errors["options.maxSeqLen"]}>
        <Input
          id="maxSeqLen"
          inputMode="numeric"
          value={form.maxSeqLen}
          placeholder={view.maxSeqLen.placeholder}
          onChange={(e) => set("maxSeqLen", e.target.value)}
        />
      </Field>
      <Field
        label={view.dataset.label}
        htmlFor="dataset"
        className="md:col-span-2"
        error={errors["options.dataset"]}
        hint={view.dataset.hint}
      >
        <Input
          id="dataset"
          value={form.dataset}
          placeholder={view.dataset.placeholder}
          onChange={(e) => set("dataset", e.target.value)}
          className="font-mono"
        />
      </Field>
      {view.ignore && <IgnoreField form={form} errors={errors} set={set} />}
      <TrustRemoteCodeField form={form} errors={errors} set={set} />
    </>
  );
}
