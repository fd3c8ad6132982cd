"use client";

import { TextOption } from "./bound-options";
import type { OptionFieldsProps } from "./options-model";
import { TrustRemoteCodeField } from "./trust-remote-code-field";

/** A verify run's options: the optional FP8 reference, tokens to generate, remote code. */
export function VerifyOptions(props: OptionFieldsProps) {
  return (
    <>
      <TextOption
        {...props}
        name="referencePath"
        label="Reference FP8 checkpoint"
        hint="Optional: compares the forward pass against the source."
        mono
      />
      <TextOption {...props} name="generateTokens" label="Tokens to generate" inputMode="numeric" />
      <TrustRemoteCodeField {...props} />
    </>
  );
}
