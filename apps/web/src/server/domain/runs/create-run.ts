import type { NewRunInput } from "@fp4kit/protocol";
import { modelLabelOf } from "../../../lib/paths";
import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { DomainError } from "../errors";
import { assessAgents, type RunShape, refusalOf } from "./run-agents";

/**
 * Refuses, with the reason, a run that no agent it may go to can run now: the pinned one, or any
 * agent of the team (data roots, Python packages, GPUs, as each last reported them; revoked agents;
 * whether one that could run it is online). A run already queued whose agent goes offline later
 * waits for it, and its page says so. The agent checks again when it runs it; this gives the error
 * at once instead of a run that waits for ever or fails late.
 */
export async function refuseUnrunnable(db: Db, teamId: string, spec: RunShape & { agentId: string | null }) {
  if (spec.agentId !== null) {
    const pinned = await db.agent.findFirst({ where: { id: spec.agentId, teamId }, select: { id: true } });
    if (!pinned) throw new DomainError("NOT_FOUND", "No such agent in this team");
  }
  const assessed = await assessAgents(db, { teamId, agentId: spec.agentId, run: spec });
  const refusal = refusalOf(assessed, spec.agentId !== null);
  if (refusal) throw new DomainError("BAD_REQUEST", refusal);
}

/**
 * Queues a run; agents are woken up and the first free one allowed to take it claims it.
 * `parentRunId` (optional) is the team's run this one continues in its chain.
 */
export async function createRun(
  db: Db,
  realtime: RealtimePort,
  input: { teamId: string; createdById: string; spec: NewRunInput; parentRunId?: string | null },
) {
  await refuseUnrunnable(db, input.teamId, input.spec);
  if (input.parentRunId) {
    const parent = await db.run.count({ where: { id: input.parentRunId, teamId: input.teamId } });
    if (!parent) throw new DomainError("NOT_FOUND", "The run this one continues does not exist in this team");
  }
  const run = await db.run.create({
    data: {
      teamId: input.teamId,
      createdById: input.createdById,
      kind: input.spec.kind,
      model: modelLabelOf(input.spec.sourcePath),
      sourcePath: input.spec.sourcePath,
      destPath: input.spec.destPath,
      options: input.spec.options,
      agentId: input.spec.agentId,
      parentRunId: input.parentRunId ?? null,
    },
    select: { id: true, teamId: true, agentId: true },
  });
  await realtime.notifyRunQueued(run);
  return run;
}
