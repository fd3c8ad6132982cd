/**
 * Which result documents each run kind uploads, and the schema each follows. The server parses a
 * document against this table when the agent uploads it, so what is stored is what pages expect.
 */
import type { z } from "zod";
import type { RunKind } from "../runs.ts";
import type { ArtifactKind } from "../socket.ts";
import { InspectReportSchema } from "./inspect.ts";
import { schemaProblem } from "./problems.ts";
import { QualityReportSchema } from "./quality.ts";
import { ShardListSchema } from "./shards.ts";
import { VerifyReportSchema } from "./verify.ts";

export const RUN_DOCUMENTS = {
  INSPECT: { INSPECT_REPORT: InspectReportSchema },
  CONVERT: { QUALITY_REPORT: QualityReportSchema, SHARD_LIST: ShardListSchema },
  CALIBRATE: {},
  VERIFY: { QUALITY_REPORT: VerifyReportSchema },
} as const satisfies Record<RunKind, Partial<Record<ArtifactKind, z.ZodType>>>;

/**
 * Checks a run's document against its contract: null when it follows it, else why not, in words
 * that name the run kind, the document and the first offending fields.
 */
export function runDocumentProblem(runKind: RunKind, kind: ArtifactKind, json: unknown): string | null {
  const documents: Partial<Record<ArtifactKind, z.ZodType>> = RUN_DOCUMENTS[runKind];
  const schema = documents[kind];
  if (schema === undefined) return `a ${runKind} run has no ${kind} document`;
  return schemaProblem(`the ${runKind} run's ${kind}`, schema, json);
}
