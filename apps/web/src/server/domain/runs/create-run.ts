import type { NewRunInput } from "@fp4kit/protocol";
import { isUnderSomeRoot, modelLabelOf } from "../../../lib/paths";
import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { parseCapabilities } from "../agents/agent-capabilities";
import { DomainError } from "../errors";

/** Every path of a run spec the agent will touch (source, destination and option files). */
function pathsOf(input: NewRunInput): { label: string; path: string }[] {
  const paths = [{ label: "Source", path: input.sourcePath }];
  if (input.destPath) paths.push({ label: "Destination", path: input.destPath });
  if (input.kind === "CONVERT" && input.options.calibrationFile) {
    paths.push({ label: "Calibration file", path: input.options.calibrationFile });
  }
  // A dataset is either a Hub id or a path on the agent's host; only the path is confined.
  if (input.kind === "CALIBRATE" && input.options.dataset.startsWith("/")) {
    paths.push({ label: "Calibration dataset", path: input.options.dataset });
  }
  if (input.kind === "VERIFY" && input.options.referencePath) {
    paths.push({ label: "Reference checkpoint", path: input.options.referencePath });
  }
  return paths;
}

/**
 * Checks the pinned agent belongs to the team and, when it has reported its data roots, that every
 * path lies under one of them (the agent re-checks; this only gives an early, clear error).
 */
async function checkPinnedAgent(db: Db, teamId: string, input: NewRunInput) {
  if (input.agentId === null) return;
  const agent = await db.agent.findFirst({
    where: { id: input.agentId, teamId },
    select: { revokedAt: true, name: true, capabilities: true },
  });
  if (!agent) throw new DomainError("NOT_FOUND", "No such agent in this team");
  if (agent.revokedAt) throw new DomainError("BAD_REQUEST", `Agent ${agent.name} has been revoked`);
  const roots = parseCapabilities(agent.capabilities)?.roots.map((r) => r.path) ?? [];
  if (roots.length === 0) return;
  for (const { label, path } of pathsOf(input)) {
    if (!isUnderSomeRoot(path, roots)) {
      throw new DomainError(
        "BAD_REQUEST",
        `${label} ${path} is not under the agent's roots (${roots.join(", ")})`,
      );
    }
  }
}

/**
 * Queues a run; agents are woken up and the first free one allowed to take it claims it.
 * `parentRunId` (optional) is the team's run this one continues in its chain.
 */
export async function createRun(
  db: Db,
  realtime: RealtimePort,
  input: { teamId: string; createdById: string; spec: NewRunInput; parentRunId?: string | null },
) {
  await checkPinnedAgent(db, input.teamId, input.spec);
  if (input.parentRunId) {
    const parent = await db.run.count({ where: { id: input.parentRunId, teamId: input.teamId } });
    if (!parent) throw new DomainError("NOT_FOUND", "The run this one continues does not exist in this team");
  }
  const run = await db.run.create({
    data: {
      teamId: input.teamId,
      createdById: input.createdById,
      kind: input.spec.kind,
      model: modelLabelOf(input.spec.sourcePath),
      sourcePath: input.spec.sourcePath,
      destPath: input.spec.destPath,
      options: input.spec.options,
      agentId: input.spec.agentId,
      parentRunId: input.parentRunId ?? null,
    },
    select: { id: true, teamId: true, agentId: true },
  });
  await realtime.notifyRunQueued(run);
  return run;
}
