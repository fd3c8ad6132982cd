/** Commander argument parsers shared by subcommands: they throw InvalidArgumentError, which commander reports. */
import { InvalidArgumentError } from "commander";
import { MODEL_FAMILIES, type ModelFamily } from "../rules/types.ts";
import type { V4Variant } from "../synthetic/layout-v4.ts";
import { parseByteSize } from "../util/bytes.ts";

export function parseFamily(value: string): ModelFamily {
  if ((MODEL_FAMILIES as readonly string[]).includes(value)) return value as ModelFamily;
  throw new InvalidArgumentError(`expected one of ${MODEL_FAMILIES.join(", ")}`);
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

export function parseSize(value: string): number {
  try {
    return parseByteSize(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A repeatable option's values in order (checked later, by the schema that owns them). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A byte size above zero (a budget of no bytes could hold nothing). */
export function parsePositiveSize(value: string): number {
  const bytes = parseSize(value);
  if (bytes <= 0) throw new InvalidArgumentError("expected a size above zero, e.g. 512MiB");
  return bytes;
}

export function parseRegex(value: string, previous: string[] = []): string[] {
  try {
    new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(`not a valid regular expression: ${(error as Error).message}`);
  }
  return [...previous, value];
}

export function parseVariant(value: string): V4Variant {
  if (value === "fp8" || value === "mxfp4") return value;
  throw new InvalidArgumentError("expected fp8 or mxfp4");
}
