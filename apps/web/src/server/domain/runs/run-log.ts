import { TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import type { Db } from "../../db";
import { DomainError } from "../errors";

/** The run's log lines after `afterSeq`, a page at a time (for the plain-text download). */
export async function readLogPage(db: Db, input: { runId: string; afterSeq: number; limit: number }) {
  return db.runLogLine.findMany({
    where: { runId: input.runId, seq: { gt: input.afterSeq } },
    orderBy: { seq: "asc" },
    take: input.limit,
    select: { seq: true, line: true },
  });
}

/**
 * The lines of a team's run after `after`, for clients that follow a log by polling. `done` is
 * true once the run had ended before the read and no more lines remain: agents store every line
 * before they report the end, so nothing can follow.
 */
export async function readLogSince(
  db: Db,
  input: { teamId: string; runId: string; after: number; limit: number },
) {
  const run = await db.run.findFirst({
    where: { id: input.runId, teamId: input.teamId },
    select: { status: true },
  });
  if (!run) throw new DomainError("NOT_FOUND", "No such run");
  const lines = await db.runLogLine.findMany({
    where: { runId: input.runId, seq: { gt: input.after } },
    orderBy: { seq: "asc" },
    take: input.limit,
    select: { seq: true, ts: true, stream: true, line: true },
  });
  return {
    status: run.status,
    lines,
    next: lines.at(-1)?.seq ?? input.after,
    done: TERMINAL_RUN_STATUSES.includes(run.status) && lines.length < input.limit,
  };
}
