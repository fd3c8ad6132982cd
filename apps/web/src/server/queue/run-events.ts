import { type MetricValues, type RunEvent, RunEventSchema } from "@fp4kit/protocol";
import { z } from "zod";
import type { Db } from "../db";
import { notLeasedToAgent } from "./errors";

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

/** An event as sent: only its seq is known to be valid until RunEventSchema checked the rest. */
export type SentEvent = { seq: number } & Record<string, unknown>;

/** How much of a refused event its note shows (JSON-escaped, so NUL and the like are visible). */
const QUARANTINED_PREVIEW_CHARS = 2_000;

/**
 * The log line stored in place of an event that cannot be stored as it was sent, at its seq (the
 * run's sequence stays whole, so the agent's upload goes on). The event itself stays in the
 * agent's spool.
 */
export function quarantineNote(event: SentEvent, reason: string): RunEvent {
  const json = JSON.stringify(event);
  const preview =
    json.length > QUARANTINED_PREVIEW_CHARS ? `${json.slice(0, QUARANTINED_PREVIEW_CHARS)}…` : json;
  const ts = typeof event.ts === "string" && !Number.isNaN(Date.parse(event.ts)) ? event.ts : null;
  return {
    type: "log",
    seq: event.seq,
    ts: ts ?? new Date().toISOString(),
    stream: "SYSTEM",
    line: `event ${event.seq} could not be stored as sent (${reason}); it was: ${preview}`,
  };
}

/** PostgreSQL's SQLSTATE of a failed query, through Prisma's driver adapter. */
function sqlState(err: unknown): string | null {
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } })?.meta;
  const code = meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === "string" ? code : null;
}

/** Data exceptions (class 22: a NUL in text, \u0000 in JSON, ...) concern the data, not the database. */
function isDataException(err: unknown): boolean {
  return sqlState(err)?.startsWith("22") ?? false;
}

type RunRow = { teamId: string; status: string };

/** Stores events in one transaction, skipping seqs already stored; returns what it inserted. */
async function storeEvents(db: Db, runId: string, run: RunRow, events: readonly RunEvent[]) {
  const logs = events.filter((e) => e.type === "log");
  const metrics = events.filter((e) => e.type === "metric");
  return db.$transaction(async (tx) => {
    const insertedLogs = logs.length
      ? await tx.runLogLine.createManyAndReturn({
          data: logs.map((e) => ({ runId, seq: e.seq, ts: new Date(e.ts), stream: e.stream, line: e.line })),
          skipDuplicates: true,
          select: { seq: true },
        })
      : [];
    const insertedMetrics = metrics.length
      ? await tx.metricSample.createManyAndReturn({
          data: metrics.map((e) => ({ runId, seq: e.seq, ts: new Date(e.ts), values: e.values })),
          skipDuplicates: true,
          select: { seq: true },
        })
      : [];
    const insertedSeqs = new Set([...insertedLogs, ...insertedMetrics].map((r) => r.seq));
    const inserted = events.filter((e) => insertedSeqs.has(e.seq));

    const latestProgress = inserted
      .filter((e) => e.type === "metric" && e.values.progress !== undefined)
      .map((e) => (e.type === "metric" ? e.values.progress : undefined))
      .at(-1);
    let progress: number | null = null;
    if (latestProgress !== undefined && run.status === "RUNNING") {
      await tx.run.update({ where: { id: runId }, data: { progress: latestProgress } });
      progress = latestProgress;
    }
    return { inserted, progress };
  });
}

/**
 * Stores a batch of a run's events exactly once: (runId, seq) is the primary key and duplicates
 * are skipped (INSERT ... ON CONFLICT DO NOTHING), so resends after a reconnect are harmless.
 * Only the agent the run is leased to may write; a LOST run still accepts its agent's late
 * events, so that nothing the job printed is lost. An event that is invalid, or that PostgreSQL
 * refuses as data, is stored as a note in its place (quarantineNote) and the rest of the batch as
 * it was: one bad event never blocks a run's upload.
 */
export async function appendRunEvents(
  db: Db,
  input: { runId: string; agentId: string; events: readonly SentEvent[]; knownContiguousSeq?: number },
): Promise<AppendResult> {
  const run = await db.run.findUnique({
    where: { id: input.runId },
    select: { agentId: true, teamId: true, status: true },
  });
  if (!run || run.agentId !== input.agentId) throw notLeasedToAgent(input.runId);

  const events = input.events.map((sent) => {
    const parsed = RunEventSchema.safeParse(sent);
    return parsed.success ? parsed.data : quarantineNote(sent, z.prettifyError(parsed.error));
  });
  let stored: { inserted: RunEvent[]; progress: number | null };
  try {
    stored = await storeEvents(db, input.runId, run, events);
  } catch (err) {
    if (!isDataException(err)) throw err;
    // One by one, to find the events PostgreSQL refuses (rare: the agent sends storable text).
    stored = { inserted: [], progress: null };
    for (const event of events) {
      let one: typeof stored;
      try {
        one = await storeEvents(db, input.runId, run, [event]);
      } catch (eventErr) {
        if (!isDataException(eventErr)) throw eventErr;
        const reason = `PostgreSQL refused it: ${(eventErr as Error).message.split("\n").at(-1)}`;
        one = await storeEvents(db, input.runId, run, [quarantineNote(event, reason)]);
      }
      stored.inserted.push(...one.inserted);
      stored.progress = one.progress ?? stored.progress;
    }
  }

  const ackedSeq = await highestContiguousSeq(db, input.runId, input.knownContiguousSeq ?? 0);
  return {
    ackedSeq,
    inserted: stored.inserted.sort((a, b) => a.seq - b.seq),
    teamId: run.teamId,
    progress: stored.progress,
  };
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
