import type { RunListQuery, RunSort } from "../../../lib/run-query";
import type { Db } from "../../db";
import { RUN_VIEW_SELECT, toRunView } from "./run-view";

/**
 * The SQL each sort key orders by. Duration counts a running run up to now, as the table shows it;
 * ratio is input over output bytes. Keys are a closed set, so these fragments are never user text.
 */
const ORDER_EXPRESSIONS: Record<RunSort, string> = {
  created: `r."createdAt"`,
  name: `lower(coalesce(r.name, r.model))`,
  kind: `r.kind::text`,
  status: `r.status::text`,
  progress: `CASE WHEN r.status = 'SUCCEEDED' THEN 1 ELSE r.progress END`,
  agent: `lower(a.name)`,
  queuedBy: `lower(u.name)`,
  started: `r."startedAt"`,
  duration: `coalesce(r."finishedAt", now()) - r."startedAt"`,
  input: `r."inputBytes"`,
  output: `r."outputBytes"`,
  ratio: `r."inputBytes"::float8 / nullif(r."outputBytes", 0)`,
};

/** `%word%` for ILIKE, with the pattern characters of the word taken literally. */
function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE clause of a listing: fixed SQL with every user value a numbered parameter. */
function whereOf(teamId: string, query: RunListQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions = [`r."teamId" = ${param(teamId)}`];
  if (query.statuses.length) conditions.push(`r.status::text = ANY(${param(query.statuses)}::text[])`);
  if (query.kinds.length) conditions.push(`r.kind::text = ANY(${param(query.kinds)}::text[])`);
  if (query.agentId) conditions.push(`r."agentId" = ${param(query.agentId)}`);
  if (query.tag) conditions.push(`${param(query.tag)} = ANY(r.tags)`);
  if (query.archived === "active") conditions.push(`r."archivedAt" IS NULL`);
  if (query.archived === "archived") conditions.push(`r."archivedAt" IS NOT NULL`);
  for (const word of query.q.split(/\s+/).filter(Boolean)) {
    conditions.push(
      `concat_ws(' ', r.id, r.name, r.model, r."sourcePath", r."destPath", r.notes, array_to_string(r.tags, ' ')) ILIKE ${param(containsPattern(word))}`,
    );
  }
  return { sql: conditions.join(" AND "), params };
}

/**
 * A page of the team's runs in the asked order (ties: newest first); `nextCursor` is the offset of
 * the next page. Offsets rather than keys because most sort columns are neither unique nor stored.
 */
export async function listRuns(
  db: Db,
  input: { teamId: string; query: RunListQuery; limit: number; cursor?: number },
) {
  const offset = input.cursor ?? 0;
  const direction = input.query.dir === "asc" ? "ASC" : "DESC";
  const where = whereOf(input.teamId, input.query);
  // Only the fixed fragments above and integers are spliced in; user values are parameters.
  const ids = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT r.id FROM run r
      LEFT JOIN agent a ON a.id = r."agentId"
      JOIN "user" u ON u.id = r."createdById"
    WHERE ${where.sql}
    ORDER BY ${ORDER_EXPRESSIONS[input.query.sort]} ${direction} NULLS LAST, r."createdAt" DESC, r.id DESC
    LIMIT ${input.limit + 1} OFFSET ${offset}`,
    ...where.params,
  );
  const hasMore = ids.length > input.limit;
  const pageIds = ids.slice(0, input.limit).map((row) => row.id);
  const rows = await db.run.findMany({ where: { id: { in: pageIds } }, select: RUN_VIEW_SELECT });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const runs = pageIds.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toRunView(row)] : [];
  });
  return { runs, nextCursor: hasMore ? offset + input.limit : null };
}
