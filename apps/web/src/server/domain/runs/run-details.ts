import { type RunDetailsPatch, TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import type { Db } from "../../db";
import { DomainError } from "../errors";

/** Renames, re-notes or re-tags one run of the team. */
export async function updateRunDetails(
  db: Db,
  input: { teamId: string; runId: string; patch: RunDetailsPatch },
) {
  const { name, notes, tags } = input.patch;
  const { count } = await db.run.updateMany({
    where: { id: input.runId, teamId: input.teamId },
    data: {
      ...(name !== undefined ? { name: name || null } : {}),
      ...(notes !== undefined ? { notes } : {}),
      ...(tags !== undefined ? { tags } : {}),
    },
  });
  if (count === 0) throw new DomainError("NOT_FOUND", "No such run");
}

/** Loads the team's runs among `runIds`, refusing ids that are not there or runs still queued or running. */
async function finishedTeamRuns(db: Db, teamId: string, runIds: string[], action: string) {
  const runs = await db.run.findMany({
    where: { id: { in: runIds }, teamId },
    select: { id: true, status: true, model: true, name: true },
  });
  if (runs.length !== new Set(runIds).size) throw new DomainError("NOT_FOUND", "No such run");
  const live = runs.filter((r) => !TERMINAL_RUN_STATUSES.includes(r.status));
  if (live.length > 0) {
    const names = live.map((r) => `${r.name ?? r.model} (${r.status.toLowerCase()})`).join(", ");
    throw new DomainError("CONFLICT", `Only finished runs can be ${action}; cancel these first: ${names}`);
  }
  return runs;
}

/** Archives (hides from listings) or restores finished runs of the team. */
export async function setRunsArchived(
  db: Db,
  input: { teamId: string; runIds: string[]; archived: boolean },
) {
  await finishedTeamRuns(db, input.teamId, input.runIds, "archived");
  const { count } = await db.run.updateMany({
    where: { id: { in: input.runIds }, teamId: input.teamId },
    data: { archivedAt: input.archived ? new Date() : null },
  });
  return { count };
}

/**
 * Deletes finished runs' records: spec, log, metrics and reports. Files the runs wrote stay on the
 * agent's disk; later attempts that retried one of them keep working (their link is cleared).
 */
export async function deleteRuns(db: Db, input: { teamId: string; runIds: string[] }) {
  await finishedTeamRuns(db, input.teamId, input.runIds, "deleted");
  const { count } = await db.run.deleteMany({
    where: { id: { in: input.runIds }, teamId: input.teamId, status: { in: [...TERMINAL_RUN_STATUSES] } },
  });
  return { count };
}
