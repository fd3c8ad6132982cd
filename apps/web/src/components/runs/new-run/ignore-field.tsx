"use client";

import { Field, Textarea } from "../../ui/field";
import type { OptionFieldsProps } from "./options-model";

/** Regexes of tensors kept unquantized, beyond the preset's (convert, and llm-compressor calibration). */
export function IgnoreField({ form, errors, set }: OptionFieldsProps) {
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
