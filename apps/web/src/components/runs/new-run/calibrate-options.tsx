"use client";

import { SelectOption, TextOption } from "./bound-options";
import { IgnoreField } from "./ignore-field";
import { calibrateOptionsView, type OptionFieldsProps } from "./options-model";
import { TrustRemoteCodeField } from "./trust-remote-code-field";

/** A calibration run's options; their words follow the method (calibrateOptionsView). */
export function CalibrateOptions(props: OptionFieldsProps) {
  const view = calibrateOptionsView(props.form);
  return (
    <>
      <SelectOption
        {...props}
        name="calibrationMethod"
        option="options.method"
        label="Method"
        className="md:col-span-2"
        hint={view.methodHint}
        choices={view.methods}
      />
      <TextOption {...props} name="numSamples" inputMode="numeric" {...view.numSamples} />
      <TextOption {...props} name="maxSeqLen" inputMode="numeric" {...view.maxSeqLen} />
      <TextOption {...props} name="dataset" className="md:col-span-2" mono {...view.dataset} />
      {view.ignore && <IgnoreField {...props} />}
      <TrustRemoteCodeField {...props} />
    </>
  );
}
