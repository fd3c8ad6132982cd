import { LEASED_RUN_STATUSES, type TransitionTarget } from "@fp4kit/protocol";
import type { Db } from "../db";
import { canTake, statusIn, targetOf } from "./run-status-sql";

export interface LeaseRenewal {
  /** False when the run is no longer RUNNING on this agent (finished, lost, or never its). */
  held: boolean;
  cancelRequested: boolean;
}

/** Extends the lease of a run the agent holds. Renewing a lease that expired but was not yet swept is allowed: nobody else can hold it. */
export async function renewLease(
  db: Db,
  input: { runId: string; agentId: string; leaseSeconds: number },
): Promise<LeaseRenewal> {
  const rows = await db.$queryRaw<{ cancelRequestedAt: Date | null }[]>`
    UPDATE run SET "leaseExpiresAt" = now() + ${input.leaseSeconds}::int * interval '1 second'
    WHERE id = ${input.runId} AND "agentId" = ${input.agentId} AND ${statusIn(LEASED_RUN_STATUSES)}
    RETURNING "cancelRequestedAt"`;
  const row = rows[0];
  return { held: row !== undefined, cancelRequested: row?.cancelRequestedAt != null };
}

export interface ExpiredRun {
  runId: string;
  teamId: string;
  status: TransitionTarget<"expire">;
  progress: number;
}

/**
 * Ends RUNNING runs whose lease expired: LOST (retryable), or CANCELLED when a cancel had been
 * requested (the user wanted it stopped; its agent is gone). One UPDATE statement, so several web
 * instances sweeping at once each report only the rows they changed.
 */
export async function expireLeases(db: Db): Promise<ExpiredRun[]> {
  const rows = await db.$queryRaw<
    { id: string; teamId: string; status: TransitionTarget<"expire">; progress: number }[]
  >`
    UPDATE run SET
      status = CASE WHEN "cancelRequestedAt" IS NULL THEN ${targetOf("expire", "LOST")} ELSE ${targetOf("expire", "CANCELLED")} END,
      "finishedAt" = now(),
      error = CASE WHEN "cancelRequestedAt" IS NULL
        THEN 'lease expired: the agent stopped renewing it (crashed, stopped or cut off); retry the run'
        ELSE 'cancelled; the agent stopped renewing its lease before confirming' END
    WHERE ${canTake("expire")} AND "leaseExpiresAt" < now()
    RETURNING id, "teamId", status::text AS status, progress`;
  return rows.map((r) => ({ runId: r.id, teamId: r.teamId, status: r.status, progress: r.progress }));
}
