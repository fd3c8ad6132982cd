/**
 * Which result documents each run kind uploads, and the schema each follows. The server parses a
 * document against this table when the agent uploads it, so what is stored is what pages expect.
 */
import type { z } from "zod";
import type { RunKind } from "../runs.ts";
import type { ArtifactKind } from "../socket.ts";
import { InspectReportSchema } from "./inspect.ts";
import { QualityReportSchema } from "./quality.ts";
import { ShardListSchema } from "./shards.ts";
import { VerifyReportSchema } from "./verify.ts";

export const RUN_DOCUMENTS = {
  INSPECT: { INSPECT_REPORT: InspectReportSchema },
  CONVERT: { QUALITY_REPORT: QualityReportSchema, SHARD_LIST: ShardListSchema },
  CALIBRATE: {},
  VERIFY: { QUALITY_REPORT: VerifyReportSchema },
} as const satisfies Record<RunKind, Partial<Record<ArtifactKind, z.ZodType>>>;

/** How many schema issues a refusal names (a wrong document usually has one cause). */
const ISSUES_NAMED = 3;

/**
 * Checks a run's document against its contract: null when it follows it, else why not, in words
 * that name the run kind, the document and the first offending fields.
 */
export function runDocumentProblem(runKind: RunKind, kind: ArtifactKind, json: unknown): string | null {
  const documents: Partial<Record<ArtifactKind, z.ZodType>> = RUN_DOCUMENTS[runKind];
  const schema = documents[kind];
  if (schema === undefined) return `a ${runKind} run has no ${kind} document`;
  const parsed = schema.safeParse(json);
  if (parsed.success) return null;
  const issues = parsed.error.issues.slice(0, ISSUES_NAMED).map((issue) => {
    const at = issue.path.length === 0 ? "the document" : issue.path.join(".");
    return `${at}: ${issue.message}`;
  });
  const more = parsed.error.issues.length - issues.length;
  return `the ${runKind} run's ${kind} does not follow its schema (${issues.join("; ")}${more > 0 ? `; ${more} more` : ""})`;
}
