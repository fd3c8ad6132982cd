import type { MetricValues, RunEvent } from "@fp4kit/protocol";
import type { Db } from "../db";
import { QueueError } from "./errors";

/** What the event queries need; satisfied by the client and by an interactive transaction. */
type SqlClient = Pick<Db, "$queryRaw">;

/**
 * The highest `n` such that every seq 1..n of the run is stored (as a log line or a metric).
 * `knownContiguous` is a seq already known to be contiguous (events are never deleted while the
 * run exists), so only the rows above it are scanned: with the last ack as hint, a batch costs
 * O(batch) instead of O(run).
 */
export async function highestContiguousSeq(
  db: SqlClient,
  runId: string,
  knownContiguous: number,
): Promise<number> {
  // Seqs above the hint, numbered in order: they are contiguous exactly while seq = hint + rank.
  const rows = await db.$queryRaw<{ contiguous: number | null }[]>`
    SELECT max(seq)::int AS contiguous FROM (
      SELECT seq, row_number() OVER (ORDER BY seq) AS rank FROM (
        SELECT seq FROM run_log_line WHERE "runId" = ${runId} AND seq > ${knownContiguous}
        UNION
        SELECT seq FROM metric_sample WHERE "runId" = ${runId} AND seq > ${knownContiguous}
      ) stored
    ) ranked
    WHERE seq = ${knownContiguous} + rank`;
  return rows[0]?.contiguous ?? knownContiguous;
}

export interface AppendResult {
  /** Highest contiguous seq stored: the agent resends everything after it. */
  ackedSeq: number;
  /** The events this call stored (a resend stores nothing twice), ascending seq. */
  inserted: RunEvent[];
  teamId: string;
  /** The run's new progress when an inserted metric moved it, else null. */
  progress: number | null;
}

/**
 * Stores a batch of a run's events exactly once: (runId, seq) is the primary key and duplicates
 * are skipped (INSERT ... ON CONFLICT DO NOTHING), so resends after a reconnect are harmless.
 * Only the agent the run is leased to may write; a LOST run still accepts its agent's late
 * events, so that nothing the job printed is lost.
 */
export async function appendRunEvents(
  db: Db,
  input: { runId: string; agentId: string; events: readonly RunEvent[]; knownContiguousSeq?: number },
): Promise<AppendResult> {
  const run = await db.run.findUnique({
    where: { id: input.runId },
    select: { agentId: true, teamId: true, status: true },
  });
  if (!run) throw new QueueError("NOT_FOUND", `run ${input.runId} does not exist`);
  if (run.agentId !== input.agentId) {
    throw new QueueError("NOT_HELD", `run ${input.runId} is not leased to this agent`);
  }

  const logs = input.events.filter((e) => e.type === "log");
  const metrics = input.events.filter((e) => e.type === "metric");

  return db.$transaction(async (tx) => {
    const insertedLogs = logs.length
      ? await tx.runLogLine.createManyAndReturn({
          data: logs.map((e) => ({
            runId: input.runId,
            seq: e.seq,
            ts: new Date(e.ts),
            stream: e.stream,
            line: e.line,
          })),
          skipDuplicates: true,
          select: { seq: true },
        })
      : [];
    const insertedMetrics = metrics.length
      ? await tx.metricSample.createManyAndReturn({
          data: metrics.map((e) => ({
            runId: input.runId,
            seq: e.seq,
            ts: new Date(e.ts),
            values: e.values,
          })),
          skipDuplicates: true,
          select: { seq: true },
        })
      : [];
    const insertedSeqs = new Set([...insertedLogs, ...insertedMetrics].map((r) => r.seq));
    const inserted = input.events.filter((e) => insertedSeqs.has(e.seq)).sort((a, b) => a.seq - b.seq);

    const latestProgress = inserted
      .filter((e) => e.type === "metric" && e.values.progress !== undefined)
      .map((e) => (e.type === "metric" ? e.values.progress : undefined))
      .at(-1);
    let progress: number | null = null;
    if (latestProgress !== undefined && run.status === "RUNNING") {
      await tx.run.update({ where: { id: input.runId }, data: { progress: latestProgress } });
      progress = latestProgress;
    }

    const ackedSeq = await highestContiguousSeq(tx, input.runId, input.knownContiguousSeq ?? 0);
    return { ackedSeq, inserted, teamId: run.teamId, progress };
  });
}

/** Up to `limit` stored events of a run with seq > afterSeq, ascending (for replay to browsers). */
export async function listRunEventsAfter(
  db: Db,
  runId: string,
  afterSeq: number,
  limit: number,
): Promise<RunEvent[]> {
  const [logs, metrics] = await Promise.all([
    db.runLogLine.findMany({ where: { runId, seq: { gt: afterSeq } }, orderBy: { seq: "asc" }, take: limit }),
    db.metricSample.findMany({
      where: { runId, seq: { gt: afterSeq } },
      orderBy: { seq: "asc" },
      take: limit,
    }),
  ]);
  const events: RunEvent[] = [
    ...logs.map(
      (l): RunEvent => ({ type: "log", seq: l.seq, ts: l.ts.toISOString(), stream: l.stream, line: l.line }),
    ),
    ...metrics.map(
      // Stored values were validated by MetricValuesSchema when the agent sent them.
      (m): RunEvent => ({
        type: "metric",
        seq: m.seq,
        ts: m.ts.toISOString(),
        values: m.values as MetricValues,
      }),
    ),
  ];
  return events.sort((a, b) => a.seq - b.seq).slice(0, limit);
}
