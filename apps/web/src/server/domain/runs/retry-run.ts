import { TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { DomainError } from "../errors";

/**
 * Queues a new attempt of a finished run with the same spec. The destination stays the same so a
 * convert run resumes from the shards the previous attempt already wrote.
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
  if (original.agentId) {
    const agent = await db.agent.findUnique({ where: { id: original.agentId }, select: { revokedAt: true } });
    if (agent?.revokedAt) throw new DomainError("BAD_REQUEST", "The run's agent has been revoked");
  }
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
