import { engineFormat, RunSpecSchema } from "@fp4kit/protocol";

/** A run's spec as compared: where it runs, on what, and with which options. */
export interface ComparableSpec {
  kind: string;
  agentId: string | null;
  sourcePath: string;
  destPath: string | null;
  options: Record<string, unknown>;
}

export interface SpecChange {
  /** "kind", "agentId", "sourcePath", "destPath" or "options.<name>". */
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * Options with the schema's defaults filled in, so "left at the default" equals "set to the
 * default"; a conversion's format is the one it writes (the engine's when none was named).
 */
function normalizedOptions(spec: ComparableSpec): Record<string, unknown> {
  const parsed = RunSpecSchema.safeParse({ kind: spec.kind, options: spec.options });
  if (!parsed.success) return spec.options;
  if (parsed.data.kind !== "CONVERT") return parsed.data.options;
  const options = parsed.data.options;
  return { ...options, format: engineFormat(options.engine, options.format) };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** What differs between two run specs, field by field, in a stable order (top-level fields, then options A-Z). */
export function diffRunSpecs(before: ComparableSpec, after: ComparableSpec): SpecChange[] {
  const changes: SpecChange[] = [];
  for (const field of ["kind", "agentId", "sourcePath", "destPath"] as const) {
    if (!same(before[field], after[field]))
      changes.push({ field, before: before[field], after: after[field] });
  }
  const a = normalizedOptions(before);
  const b = normalizedOptions(after);
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (!same(a[key], b[key])) changes.push({ field: `options.${key}`, before: a[key], after: b[key] });
  }
  return changes;
}
