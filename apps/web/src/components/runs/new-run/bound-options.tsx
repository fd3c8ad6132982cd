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

/** The label, hint and schema error around one option's control. */
function OptionField({
  errors,
  name,
  option,
  label,
  hint,
  className,
  children,
}: Omit<BoundOptionProps<TextFieldName>, "form" | "set"> & { children: ReactNode }) {
  return (
    <Field
      label={label}
      htmlFor={name}
      className={className}
      error={errors[option ?? `options.${name}`]}
      hint={hint}
    >
      {children}
    </Field>
  );
}

/** One option typed in as text, bound to the form. */
export function TextOption({ placeholder, inputMode, mono, ...props }: TextOptionProps) {
  const { form, set, name } = props;
  return (
    <OptionField {...props}>
      <Input
        id={name}
        inputMode={inputMode}
        value={form[name]}
        placeholder={placeholder}
        onChange={(e) => set(name, e.target.value)}
        className={mono ? "font-mono" : undefined}
      />
    </OptionField>
  );
}

/** One option chosen from a list, bound to the form. */
export function SelectOption<K extends TextFieldName>({
  choices,
  ...props
}: BoundOptionProps<K> & { choices: Choice<NewRunFormState[K]>[] }) {
  const { form, set, name } = props;
  return (
    <OptionField {...props}>
      <Select id={name} value={form[name]} onChange={(e) => set(name, e.target.value as NewRunFormState[K])}>
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </Select>
    </OptionField>
  );
}
