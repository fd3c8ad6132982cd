import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PrismaClient } from "@fp4kit/db";
import { type RunEvent, RunEventSchema } from "@fp4kit/protocol";

/** The events an agent spooled for a run (done/ once delivered, runs/ before). */
export function readSpooledEvents(spoolDir: string, runId: string): RunEvent[] {
  const file = ["done", "runs"].map((d) => join(spoolDir, d, runId, "events.jsonl")).find(existsSync);
  if (!file) throw new Error(`run ${runId} is not in the spool ${spoolDir}`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => RunEventSchema.parse(JSON.parse(line)));
}

/** The events Postgres stores for a run, in the wire form, by seq. */
export async function readStoredEvents(db: PrismaClient, runId: string): Promise<RunEvent[]> {
  const [logs, metrics] = await Promise.all([
    db.runLogLine.findMany({ where: { runId } }),
    db.metricSample.findMany({ where: { runId } }),
  ]);
  return [
    ...logs.map(
      (l): RunEvent => ({ type: "log", seq: l.seq, ts: l.ts.toISOString(), stream: l.stream, line: l.line }),
    ),
    ...metrics.map(
      (m): RunEvent => ({ type: "metric", seq: m.seq, ts: m.ts.toISOString(), values: m.values as object }),
    ),
  ].sort((a, b) => a.seq - b.seq);
}
