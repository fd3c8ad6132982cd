import type { Prisma } from "@fp4kit/db";
import type { RunKind, RunStatus } from "@fp4kit/protocol";
import type { Db } from "../../db";
import { RUN_VIEW_SELECT, toRunView } from "./run-view";

export interface RunFilters {
  statuses?: RunStatus[];
  kinds?: RunKind[];
  agentId?: string;
}

/** A page of the team's runs, newest first; `nextCursor` is the id to pass for the next page. */
export async function listRuns(
  db: Db,
  input: { teamId: string; filters: RunFilters; limit: number; cursor?: string },
) {
  const where: Prisma.RunWhereInput = { teamId: input.teamId };
  if (input.filters.statuses?.length) where.status = { in: input.filters.statuses };
  if (input.filters.kinds?.length) where.kind = { in: input.filters.kinds };
  if (input.filters.agentId) where.agentId = input.filters.agentId;

  const rows = await db.run.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: RUN_VIEW_SELECT,
  });
  const hasMore = rows.length > input.limit;
  const page = hasMore ? rows.slice(0, input.limit) : rows;
  return { runs: page.map(toRunView), nextCursor: hasMore ? (page.at(-1)?.id ?? null) : null };
}
