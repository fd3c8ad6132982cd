import type { Prisma } from "@fp4kit/db";
import { type FinishStatus, RUN_TRANSITIONS, runSummaryProblem } from "@fp4kit/protocol";
import type { Db } from "../db";
import { notLeasedToAgent, QueueError } from "./errors";

export interface FinishRunInput {
  runId: string;
  agentId: string;
  status: FinishStatus;
  error: string | null;
  inputBytes: number | null;
  outputBytes: number | null;
  summary: Record<string, unknown> | null;
}

export interface FinishedRun {
  runId: string;
  teamId: string;
  status: FinishStatus;
  progress: number;
}

/**
 * Which runs an agent may still finish (the finish transition's from-states): those RUNNING on it,
 * and those the sweeper marked LOST while it held them, as long as no retry took the work over
 * (only an ended run has retries, so the retry condition never excludes a RUNNING one). The job's end and the end of its
 * upload are apart (a long log drains after the job exited; a server outage delays both), so a
 * lapsed lease alone does not make an outcome the agent knows less true.
 */
export function finishableBy(runId: string, agentId: string): Prisma.RunWhereInput {
  return {
    id: runId,
    agentId,
    status: { in: [...RUN_TRANSITIONS.finish.from] },
    retries: { none: { status: { in: ["RUNNING", "SUCCEEDED"] } } },
  };
}

/**
 * Records the end of a run its agent holds or held (see finishableBy). Idempotent: an agent that
 * lost the ack and resends the same outcome gets the same answer. A run that another outcome
 * ended (cancelled, finished), or whose retry runs or succeeded, is refused with NOT_HELD; a
 * summary that does not follow its run kind's schema (@fp4kit/protocol's RUN_SUMMARIES), with
 * INVALID_PAYLOAD.
 */
export async function finishRun(db: Db, input: FinishRunInput): Promise<FinishedRun> {
  if (input.summary !== null) {
    const run = await db.run.findUnique({
      where: { id: input.runId },
      select: { agentId: true, kind: true },
    });
    if (!run || run.agentId !== input.agentId) throw notLeasedToAgent(input.runId);
    const problem = runSummaryProblem(run.kind, input.summary);
    if (problem !== null) throw new QueueError("INVALID_PAYLOAD", `run ${input.runId}: ${problem}`);
  }
  const updated = await db.run.updateManyAndReturn({
    where: finishableBy(input.runId, input.agentId),
    data: {
      status: input.status,
      finishedAt: new Date(),
      leaseExpiresAt: null,
      error: input.error,
      inputBytes: input.inputBytes === null ? null : BigInt(Math.round(input.inputBytes)),
      outputBytes: input.outputBytes === null ? null : BigInt(Math.round(input.outputBytes)),
      // A successful run is complete whatever its last metric said.
      ...(input.status === "SUCCEEDED" ? { progress: 1 } : {}),
      ...(input.summary === null ? {} : { summary: input.summary as Prisma.InputJsonObject }),
    },
    select: { id: true, teamId: true, status: true, progress: true },
  });
  const row = updated[0];
  if (row) return { runId: row.id, teamId: row.teamId, status: input.status, progress: row.progress };

  const run = await db.run.findUnique({
    where: { id: input.runId },
    select: { agentId: true, teamId: true, status: true, progress: true },
  });
  if (!run || run.agentId !== input.agentId) throw notLeasedToAgent(input.runId);
  if (run.status === input.status) {
    return { runId: input.runId, teamId: run.teamId, status: input.status, progress: run.progress };
  }
  throw new QueueError(
    "NOT_HELD",
    `run ${input.runId} is ${run.status}; it is no longer leased to this agent`,
  );
}
