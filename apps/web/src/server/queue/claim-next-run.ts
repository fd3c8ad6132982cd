import { Prisma } from "@fp4kit/db";
import { type Job, RunSpecSchema } from "@fp4kit/protocol";
import { z } from "zod";
import { type AgentForRun, agentBlockers } from "../../lib/run-requirements";
import type { Db } from "../db";
import { parseCapabilities } from "../domain/agents/agent-capabilities";
import { needsOf, type RunShape } from "../domain/runs/run-agents";
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

/** A queued run with what its agent needs to offer. */
interface QueuedRun extends RunShape {
  id: string;
  agentId: string | null;
}

/** What one step of the walk did. */
type Step =
  | { type: "claimed"; job: Job; teamId: string }
  | { type: "rejected"; rejected: RejectedRun }
  | { type: "passed"; runId: string }
  | { type: "empty" };

/** How many queued runs one step reads to find the first the agent takes. */
const RUNS_PER_STEP = 50;

/**
 * Leases the oldest claimable run to `agent`: QUEUED (the claim transition's from-state), of the
 * agent's team, pinned to this agent or to none, and not cancelled while queued. A run pinned to
 * none is passed over when the agent cannot run it as it last reported (data roots, Python
 * packages, GPUs: agentBlockers, the rules queueing refuses runs by), so that it stays queued for
 * an agent of the team that can; a run pinned to this agent is claimed regardless, and the agent
 * fails it with the precise reason. On claim the run is pinned to the agent (`agentId`), which is
 * what lease renewal, event upload and finish check against.
 *
 * Candidates are read without locks and the one taken is locked with `FOR UPDATE SKIP LOCKED`: any
 * number of agents and web instances claim concurrently without handing one run out twice, and a
 * run this agent passes over is never held from an agent that can run it. Lease times use the
 * database clock so that web instances with skewed clocks agree.
 */
export async function claimNextRun(
  db: Db,
  agent: ClaimingAgent,
  options: { leaseSeconds: number },
): Promise<ClaimResult> {
  // Capabilities change only when the agent connects again, so one read serves the whole walk.
  const claimer = await agentForRun(db, agent.id);
  const takes = (run: QueuedRun) => run.agentId !== null || agentBlockers(claimer, needsOf(run)).length === 0;
  const rejected: RejectedRun[] = [];
  // The last run passed over; the walk goes on after it in the claim order.
  let passed: string | null = null;
  // Each iteration either claims a run, rejects one, passes over some, or finds the queue empty.
  for (;;) {
    const outcome = await db.$transaction(async (tx): Promise<Step> => {
      const queued = await tx.$queryRaw<QueuedRun[]>`
        SELECT id, "agentId", kind, "sourcePath", "destPath", options FROM run
        WHERE ${claimableBy(agent)}
          AND (${passed}::text IS NULL
            OR ("createdAt", id) > (SELECT "createdAt", id FROM run WHERE id = ${passed}))
        ORDER BY "createdAt", id
        LIMIT ${RUNS_PER_STEP}`;
      const pick = queued.find(takes);
      if (!pick) {
        const last = queued.at(-1);
        return last ? { type: "passed", runId: last.id } : { type: "empty" };
      }
      // The conditions again, under the lock: another claimer may have taken it since the read. One
      // taking it now holds it; SKIP LOCKED passes over it, and the walk goes on after it.
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM run WHERE id = ${pick.id} AND ${claimableBy(agent)}
        FOR UPDATE SKIP LOCKED`;
      if (locked.length === 0) return { type: "passed", runId: pick.id };

      const run = await tx.run.findUniqueOrThrow({ where: { id: pick.id } });
      const spec = RunSpecSchema.safeParse({ kind: run.kind, options: run.options });
      if (!spec.success) {
        const error = `invalid run options for ${run.kind}: ${z.prettifyError(spec.error)}`;
        await tx.$executeRaw`
          UPDATE run SET status = ${targetOf("reject", "FAILED")}, "finishedAt" = now(), error = ${error}
          WHERE id = ${run.id} AND ${canTake("reject")}`;
        return { type: "rejected", rejected: { runId: run.id, teamId: run.teamId, error } };
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
      return { type: "claimed", job, teamId: run.teamId };
    });

    if (outcome.type === "empty") return { job: null, teamId: null, rejected };
    if (outcome.type === "claimed") return { job: outcome.job, teamId: outcome.teamId, rejected };
    if (outcome.type === "passed") passed = outcome.runId;
    else rejected.push(outcome.rejected);
  }
}

/** The runs `agent` may claim, before what they need is judged. */
function claimableBy(agent: ClaimingAgent): Prisma.Sql {
  return Prisma.sql`${canTake("claim")} AND "teamId" = ${agent.teamId}
    AND ("agentId" IS NULL OR "agentId" = ${agent.id}) AND "cancelRequestedAt" IS NULL`;
}

/** The agent as the run requirements judge it, from what it last reported. */
async function agentForRun(db: Db, agentId: string): Promise<AgentForRun> {
  const row = await db.agent.findUniqueOrThrow({
    where: { id: agentId },
    select: { name: true, revokedAt: true, capabilities: true },
  });
  return {
    name: row.name,
    revoked: row.revokedAt !== null,
    capabilities: parseCapabilities(row.capabilities),
  };
}
