import { TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { DomainError } from "../errors";
import { refuseUnrunnable } from "./create-run";

/**
 * Queues a new attempt of a finished run with the same spec, refused as a new run would be when no
 * agent can run it now. The destination stays the same so a convert run resumes from the shards the
 * previous attempt already wrote.
 */
export async function retryRun(
  db: Db,
  realtime: RealtimePort,
  input: { teamId: string; runId: string; createdById: string },
) {
  const original = await db.run.findFirst({ where: { id: input.runId, teamId: input.teamId } });
  if (!original) throw new DomainError("NOT_FOUND", "No such run");
  if (!TERMINAL_RUN_STATUSES.includes(original.status)) {
    throw new DomainError("CONFLICT", "Only finished runs can be retried");
  }
  // The same refusal as a new run's: a retry no agent can run now (its agent revoked, offline or
  // no longer offering the run's roots, packages or GPUs) is refused with the reason.
  await refuseUnrunnable(db, original.teamId, original);
  const run = await db.run.create({
    data: {
      teamId: original.teamId,
      createdById: input.createdById,
      kind: original.kind,
      model: original.model,
      sourcePath: original.sourcePath,
      destPath: original.destPath,
      options: original.options ?? {},
      agentId: original.agentId,
      retryOfId: original.id,
      parentRunId: original.parentRunId,
      attempt: original.attempt + 1,
    },
    select: { id: true, teamId: true, agentId: true },
  });
  await realtime.notifyRunQueued(run);
  return run;
}
