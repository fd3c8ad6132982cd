import type { Db } from "../../db";
import { DomainError } from "../errors";
import { RUN_VIEW_SELECT, toRunView } from "./run-view";

/**
 * A run of the team, or NOT_FOUND. Every run lookup goes through the team id so a run id of another
 * team behaves exactly like one that does not exist.
 */
export async function findTeamRun(db: Db, input: { teamId: string; runId: string }) {
  const run = await db.run.findFirst({
    where: { id: input.runId, teamId: input.teamId },
    select: {
      ...RUN_VIEW_SELECT,
      artifacts: { select: { kind: true, sizeBytes: true, createdAt: true } },
      retries: { select: { id: true, attempt: true, status: true }, orderBy: { attempt: "asc" } },
    },
  });
  if (!run) throw new DomainError("NOT_FOUND", "No such run");
  const { artifacts, retries, ...row } = run;
  return { ...toRunView(row), artifacts, retries };
}
