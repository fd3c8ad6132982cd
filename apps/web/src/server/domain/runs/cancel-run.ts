import { RUN_TRANSITIONS, TERMINAL_RUN_STATUSES, type TransitionTarget } from "@fp4kit/protocol";
import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { DomainError } from "../errors";

/**
 * Cancels a run. A queued run is cancelled at once (no agent holds it); a running one gets
 * `cancelRequestedAt` and its agent is told to stop, and the agent reports CANCELLED when it has.
 */
export async function cancelRun(db: Db, realtime: RealtimePort, input: { teamId: string; runId: string }) {
  const run = await db.run.findFirst({
    where: { id: input.runId, teamId: input.teamId },
    select: { id: true, teamId: true, status: true, progress: true },
  });
  if (!run) throw new DomainError("NOT_FOUND", "No such run");
  if (TERMINAL_RUN_STATUSES.includes(run.status)) {
    throw new DomainError("CONFLICT", `The run already ended (${run.status.toLowerCase()})`);
  }
  const now = new Date();
  const cancelled: TransitionTarget<"cancelQueued"> = "CANCELLED";
  // Conditional on QUEUED: an agent may claim the run between the read above and this update.
  const { count } = await db.run.updateMany({
    where: { id: run.id, status: { in: [...RUN_TRANSITIONS.cancelQueued.from] } },
    data: { status: cancelled, cancelRequestedAt: now, finishedAt: now },
  });
  if (count === 1) {
    realtime.publishRunStatus({
      id: run.id,
      teamId: run.teamId,
      status: cancelled,
      progress: run.progress,
    });
    return { cancelledImmediately: true };
  }
  await db.run.updateMany({
    where: { id: run.id, cancelRequestedAt: null },
    data: { cancelRequestedAt: now },
  });
  await realtime.requestCancel(run.id);
  return { cancelledImmediately: false };
}
