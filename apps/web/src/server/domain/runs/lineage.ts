import type { Db } from "../../db";
import { DomainError } from "../errors";

/** Longest chain followed either way: real chains have four steps, this only stops a cycle. */
const MAX_DEPTH = 32;

const NODE_SELECT = {
  id: true,
  kind: true,
  status: true,
  name: true,
  model: true,
  parentRunId: true,
  createdAt: true,
} as const;

async function nodes(db: Db, ids: string[]) {
  const rows = await db.run.findMany({ where: { id: { in: ids } }, select: NODE_SELECT });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The runs a run continues, the first of the chain first (without the run itself). */
export async function ancestorsOf(db: Db, input: { teamId: string; runId: string }) {
  const up = await db.$queryRaw<{ id: string; depth: number }[]>`
    WITH RECURSIVE up AS (
      SELECT id, "parentRunId", 0 AS depth FROM run WHERE id = ${input.runId} AND "teamId" = ${input.teamId}
      UNION ALL
      SELECT r.id, r."parentRunId", up.depth + 1 FROM run r JOIN up ON r.id = up."parentRunId"
      WHERE r."teamId" = ${input.teamId} AND up.depth < ${MAX_DEPTH}
    )
    SELECT id, depth FROM up WHERE depth > 0 ORDER BY depth DESC`;
  return nodes(
    db,
    up.map((row) => row.id),
  );
}

/**
 * A run's place in its chain: the runs it continues (first first), itself, and every run that
 * continues it, directly or not (each with its parent, oldest first), so a page can draw the tree.
 */
export async function runLineage(db: Db, input: { teamId: string; runId: string }) {
  const self = await db.run.findFirst({
    where: { id: input.runId, teamId: input.teamId },
    select: NODE_SELECT,
  });
  if (!self) throw new DomainError("NOT_FOUND", "No such run");
  const down = await db.$queryRaw<{ id: string }[]>`
    WITH RECURSIVE down AS (
      SELECT id, 0 AS depth FROM run WHERE id = ${input.runId} AND "teamId" = ${input.teamId}
      UNION ALL
      SELECT r.id, down.depth + 1 FROM run r JOIN down ON r."parentRunId" = down.id
      WHERE r."teamId" = ${input.teamId} AND down.depth < ${MAX_DEPTH}
    )
    SELECT down.id FROM down JOIN run r ON r.id = down.id WHERE down.depth > 0 ORDER BY r."createdAt"`;
  return {
    ancestors: await ancestorsOf(db, input),
    self,
    descendants: await nodes(
      db,
      down.map((row) => row.id),
    ),
  };
}
export type RunLineage = Awaited<ReturnType<typeof runLineage>>;
export type LineageNode = RunLineage["self"];
