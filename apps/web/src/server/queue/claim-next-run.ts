import { type Job, RunSpecSchema } from "@fp4kit/protocol";
import { z } from "zod";
import type { Db } from "../db";
import { highestContiguousSeq } from "./run-events";
import { canTake, targetOf } from "./run-status-sql";

export interface ClaimingAgent {
  id: string;
  teamId: string;
}

/** A queued run whose stored kind/options fail the protocol schema; it is failed, never handed out. */
export interface RejectedRun {
  runId: string;
  teamId: string;
  error: string;
}

export interface ClaimResult {
  job: Job | null;
  /** The team of the claimed run (for status broadcasts). */
  teamId: string | null;
  rejected: RejectedRun[];
}

/**
 * Leases the oldest claimable run to `agent`: QUEUED (the claim transition's from-state), of the
 * agent's team, pinned to this agent or to none, and not cancelled while queued. `FOR UPDATE SKIP LOCKED` lets any number of agents and
 * web instances claim concurrently without handing one run out twice. On claim the run is pinned
 * to the agent (`agentId`), which is what lease renewal, event upload and finish check against.
 *
 * Lease times use the database clock so that web instances with skewed clocks agree.
 */
export async function claimNextRun(
  db: Db,
  agent: ClaimingAgent,
  options: { leaseSeconds: number },
): Promise<ClaimResult> {
  const rejected: RejectedRun[] = [];
  // Each iteration either claims a run, rejects one, or finds the queue empty.
  for (;;) {
    const outcome = await db.$transaction(async (tx) => {
      const candidates = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM run
        WHERE ${canTake("claim")} AND "teamId" = ${agent.teamId}
          AND ("agentId" IS NULL OR "agentId" = ${agent.id})
          AND "cancelRequestedAt" IS NULL
        ORDER BY "createdAt", id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`;
      const candidate = candidates[0];
      if (!candidate) return { type: "empty" as const };

      const run = await tx.run.findUniqueOrThrow({ where: { id: candidate.id } });
      const spec = RunSpecSchema.safeParse({ kind: run.kind, options: run.options });
      if (!spec.success) {
        const error = `invalid run options for ${run.kind}: ${z.prettifyError(spec.error)}`;
        await tx.$executeRaw`
          UPDATE run SET status = ${targetOf("reject", "FAILED")}, "finishedAt" = now(), error = ${error}
          WHERE id = ${run.id} AND ${canTake("reject")}`;
        return { type: "rejected" as const, rejected: { runId: run.id, teamId: run.teamId, error } };
      }

      await tx.$executeRaw`
        UPDATE run SET status = ${targetOf("claim", "RUNNING")}, "agentId" = ${agent.id}, "startedAt" = now(),
          "leaseExpiresAt" = now() + ${options.leaseSeconds}::int * interval '1 second'
        WHERE id = ${run.id} AND ${canTake("claim")}`;
      const job: Job = {
        runId: run.id,
        attempt: run.attempt,
        sourcePath: run.sourcePath,
        destPath: run.destPath,
        leaseSeconds: options.leaseSeconds,
        ackedSeq: await highestContiguousSeq(tx, run.id, 0),
        ...spec.data,
      };
      return { type: "claimed" as const, job, teamId: run.teamId };
    });

    if (outcome.type === "empty") return { job: null, teamId: null, rejected };
    if (outcome.type === "claimed") return { job: outcome.job, teamId: outcome.teamId, rejected };
    rejected.push(outcome.rejected);
  }
}
