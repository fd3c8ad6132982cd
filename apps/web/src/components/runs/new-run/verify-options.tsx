"use client";

import { Field, Input } from "../../ui/field";
import type { OptionFieldsProps } from "./options-model";
import { TrustRemoteCodeField } from "./trust-remote-code-field";

/** A verify run's options: the optional FP8 reference, tokens to generate, remote code. */
export function VerifyOptions({ form, errors, set }: OptionFieldsProps) {
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
