import { ACTIVE_RUN_STATUSES, type OutputFolderReply, TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { DomainError } from "../errors";
import { deleteRuns } from "./run-details";

/**
 * The finished run whose output folder may be measured or removed: it has a destination, the agent
 * that wrote it still has its token, and no queued or running run of the team writes there (a retry
 * resumes into the same folder).
 */
async function runWithOutput(db: Db, teamId: string, runId: string) {
  const run = await db.run.findFirst({
    where: { id: runId, teamId },
    select: {
      id: true,
      status: true,
      destPath: true,
      agent: { select: { id: true, name: true, revokedAt: true } },
    },
  });
  if (!run) throw new DomainError("NOT_FOUND", "No such run");
  if (!TERMINAL_RUN_STATUSES.includes(run.status)) {
    throw new DomainError("CONFLICT", "The run has not finished; cancel it first");
  }
  if (!run.destPath) throw new DomainError("BAD_REQUEST", "This run wrote no output folder");
  if (!run.agent) throw new DomainError("BAD_REQUEST", "No agent ever took this run, so it wrote nothing");
  if (run.agent.revokedAt) {
    throw new DomainError(
      "BAD_REQUEST",
      `Agent ${run.agent.name} has been revoked; it can no longer remove files`,
    );
  }
  const writer = await db.run.findFirst({
    where: { teamId, destPath: run.destPath, status: { in: [...ACTIVE_RUN_STATUSES] } },
    select: { id: true, status: true },
  });
  if (writer) {
    throw new DomainError(
      "CONFLICT",
      `Run ${writer.id} (${writer.status.toLowerCase()}) writes to ${run.destPath}; wait for it or cancel it first`,
    );
  }
  return { ...run, destPath: run.destPath, agent: run.agent };
}

async function askAgent(
  realtime: RealtimePort,
  agent: { id: string; name: string },
  request: { path: string; remove: boolean; confirmedBytes: number | null },
): Promise<OutputFolderReply> {
  const ack = await realtime.outputFolder(agent.id, request);
  if (ack === null) {
    throw new DomainError(
      "CONFLICT",
      `Agent ${agent.name} is offline: only the agent that wrote an output folder measures or removes it`,
    );
  }
  if (!ack.ok) throw new DomainError("BAD_REQUEST", `Agent ${agent.name} refused: ${ack.error}`);
  const { ok: _ok, ...reply } = ack;
  return reply;
}

/** Where a run's output is, how big, on which agent: what the user confirms before removing it. */
export async function measureRunOutput(
  db: Db,
  realtime: RealtimePort,
  input: { teamId: string; runId: string },
) {
  const run = await runWithOutput(db, input.teamId, input.runId);
  const folder = await askAgent(realtime, run.agent, {
    path: run.destPath,
    remove: false,
    confirmedBytes: null,
  });
  return { agentName: run.agent.name, ...folder };
}

/**
 * Removes the run's output folder through its agent (refused if its size is no longer the one the
 * user confirmed), then deletes the run's record. If the agent refuses, the record stays.
 */
export async function deleteRunAndOutput(
  db: Db,
  realtime: RealtimePort,
  input: { teamId: string; runId: string; confirmedBytes: number },
) {
  const run = await runWithOutput(db, input.teamId, input.runId);
  const folder = await askAgent(realtime, run.agent, {
    path: run.destPath,
    remove: true,
    confirmedBytes: input.confirmedBytes,
  });
  const { count } = await deleteRuns(db, { teamId: input.teamId, runIds: [run.id] });
  return { count, removed: folder.removed ? { path: folder.path, sizeBytes: folder.sizeBytes } : null };
}
