import type { Db } from "../../db";

/** The run's log lines after `afterSeq`, a page at a time (for the plain-text download). */
export async function readLogPage(db: Db, input: { runId: string; afterSeq: number; limit: number }) {
  return db.runLogLine.findMany({
    where: { runId: input.runId, seq: { gt: input.afterSeq } },
    orderBy: { seq: "asc" },
    take: input.limit,
    select: { seq: true, line: true },
  });
}
