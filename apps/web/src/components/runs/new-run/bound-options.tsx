"use client";

import type { ReactNode } from "react";
import { Field, Input, Select } from "../../ui/field";
import type { NewRunFormState } from "./form-state";
import type { Choice, OptionFieldsProps } from "./options-model";

/** The form's fields held as text: typed in, or chosen from a list. */
type TextFieldName = {
  [K in keyof NewRunFormState]: NewRunFormState[K] extends string ? K : never;
}[keyof NewRunFormState];

interface BoundOptionProps<K extends TextFieldName> extends OptionFieldsProps {
  /** The form field, also the control's id (the browser tests find fields by it). */
  name: K;
  /** The option whose schema error shows under it, when it is not `options.<name>`. */
  option?: string;
  label: ReactNode;
  hint?: ReactNode;
  className?: string;
}

interface TextOptionProps extends BoundOptionProps<TextFieldName> {
  placeholder?: string;
  inputMode?: "numeric" | "decimal";
  /** Paths and dataset ids: set in a monospace font. */
  mono?: boolean;
}

/** One option typed in as text: its label, hint and schema error around an input bound to the form. */
export function TextOption({
  form,
  errors,
  set,
  name,
  option,
  label,
  hint,
  placeholder,
  inputMode,
  mono,
  className,
}: TextOptionProps) {
  return (
    <Field
      label={label}
      htmlFor={name}
      className={className}
      error={errors[option ?? `options.${name}`]}
      hint={hint}
    >
      <Input
        id={name}
        inputMode={inputMode}
        value={form[name]}
        placeholder={placeholder}
        onChange={(e) => set(name, e.target.value)}
        className={mono ? "font-mono" : undefined}
      />
    </Field>
  );
}

/** One option chosen from a list: its label, hint and schema error around a select bound to the form. */
export function SelectOption<K extends TextFieldName>({
  form,
  errors,
  set,
  name,
  option,
  label,
  hint,
  className,
  choices,
}: BoundOptionProps<K> & { choices: Choice<NewRunFormState[K]>[] }) {
  return (
    <Field
      label={label}
      htmlFor={name}
      className={className}
      error={errors[option ?? `options.${name}`]}
      hint={hint}
    >
      <Select id={name} value={form[name]} onChange={(e) => set(name, e.target.value as NewRunFormState[K])}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </Select>
    </Field>
  );
}
