"use client";

import { Field } from "../../ui/field";
import { SelectOption, TextOption } from "./bound-options";
import { IgnoreField } from "./ignore-field";
import { convertOptionsView, type OptionFieldsProps } from "./options-model";

/** A conversion's options; what is offered and shown follows the form (convertOptionsView). */
export function ConvertOptions(props: OptionFieldsProps) {
  const { form, set } = props;
  const view = convertOptionsView(form);
  return (
    <>
      <SelectOption
        {...props}
        name="engine"
        label="Engine"
        hint="The output is written so this engine loads it as it is."
        choices={view.engines}
      />
      <SelectOption
        {...props}
        name="format"
        label="Output format"
        hint={view.formatHint}
        choices={view.formats}
      />
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
      <TextOption
        {...props}
        name="shardSizeGb"
        option="options.shardSizeBytes"
        label="Shard size (GB)"
        hint="Output shard size; ~5 GB like the source."
        inputMode="decimal"
      />
      <TextOption
        {...props}
        name="workers"
        label="CPU workers"
        hint="Threads for the native kernel; 0 = all cores."
        inputMode="numeric"
      />
      <TextOption {...props} name="gpus" label="GPUs" hint="0 = CPU only." inputMode="numeric" />
      {view.inputScales && <InputScaleFields {...props} />}
      <SelectOption
        {...props}
        name="quantizeAttention"
        label="Attention projections"
        hint={view.attentionHint}
        choices={view.attentionChoices}
      />
      <IgnoreField {...props} />
    </>
  );
}

/** The activation input scales a W4A4 format needs: a calibration file, or one scale for all. */
function InputScaleFields(props: OptionFieldsProps) {
  return (
    <>
      <TextOption
        {...props}
        name="calibrationFile"
        label="Calibration file"
        hint="JSON of per-module activation input scales, under the agent's roots."
        mono
      />
      <TextOption
        {...props}
        name="inputScale"
        label="Fallback input scale"
        hint="Used for every activation when no calibration file is given."
        inputMode="decimal"
      />
    </>
  );
}
