import type { Db } from "../../db";
import { DomainError } from "../errors";
import { ancestorsOf } from "./lineage";
import { readMetricSeries } from "./metric-series";
import { RUN_VIEW_SELECT, toRunView } from "./run-view";

const MAX_POINTS_PER_RUN = 300;

/**
 * Everything the compare view shows for 2+ runs of one team: the runs, their metric series
 * (downsampled for overlaid charts), their quality reports when they have one, and their lineage.
 */
export async function compareRuns(db: Db, input: { teamId: string; runIds: string[] }) {
  const rows = await db.run.findMany({
    where: { id: { in: input.runIds }, teamId: input.teamId },
    select: {
      ...RUN_VIEW_SELECT,
      artifacts: { where: { kind: "QUALITY_REPORT" }, select: { json: true } },
    },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return Promise.all(
    input.runIds.map(async (id) => {
      const found = byId.get(id);
      if (!found) throw new DomainError("NOT_FOUND", "No such run");
      const { artifacts, ...row } = found;
      return {
        run: toRunView(row),
        qualityReport: artifacts[0]?.json ?? null,
        metrics: await readMetricSeries(db, { runId: id, maxPoints: MAX_POINTS_PER_RUN }),
        /** The chain the run continues, first run first. */
        ancestors: await ancestorsOf(db, { teamId: input.teamId, runId: id }),
      };
    }),
  );
}
