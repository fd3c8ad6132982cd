"use client";

import { CalibrateOptions } from "./calibrate-options";
import { ConvertOptions } from "./convert-options";
import type { OptionFieldsProps } from "./options-model";
import { VerifyOptions } from "./verify-options";

/** The options of the selected kind (inspect has none). */
export function OptionsFields(props: OptionFieldsProps) {
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
