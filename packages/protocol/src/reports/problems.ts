import type { z } from "zod";

/** How many schema issues a refusal names (a wrong document usually has one cause). */
const ISSUES_NAMED = 3;

/**
 * Null when `value` follows `schema`, else a sentence that names `what` and its first offending
 * fields, for logs and refusals.
 */
export function schemaProblem(what: string, schema: z.ZodType, value: unknown): string | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return null;
  const issues = parsed.error.issues.slice(0, ISSUES_NAMED).map((issue) => {
    const at = issue.path.length === 0 ? "the whole" : issue.path.join(".");
    return `${at}: ${issue.message}`;
  });
  const more = parsed.error.issues.length - issues.length;
  return `${what} does not follow its schema (${issues.join("; ")}${more > 0 ? `; ${more} more` : ""})`;
}
