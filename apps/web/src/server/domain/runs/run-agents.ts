import type { RunKind } from "@fp4kit/protocol";
import { type AgentForRun, agentBlockers, type RunNeeds, runPackages } from "../../../lib/run-requirements";
import type { Db } from "../../db";
import { parseCapabilities } from "../agents/agent-capabilities";

/** A run as stored or as submitted: what its agent needs to offer. */
export interface RunShape {
  kind: RunKind;
  sourcePath: string;
  destPath: string | null;
  options: unknown;
}

const stringOption = (options: unknown, key: string): string | null => {
  const value = (options as Record<string, unknown> | null)?.[key];
  return typeof value === "string" && value !== "" ? value : null;
};

/** Every path the job touches (source, destination and option files) and the GPUs it asks for. */
export function needsOf(run: RunShape): RunNeeds {
  const paths = [{ label: "Source", path: run.sourcePath }];
  if (run.destPath) paths.push({ label: "Destination", path: run.destPath });
  const calibrationFile = run.kind === "CONVERT" ? stringOption(run.options, "calibrationFile") : null;
  if (calibrationFile) paths.push({ label: "Calibration file", path: calibrationFile });
  // A dataset is either a Hub id or a path on the agent's host; only the path must be under a root.
  const dataset = run.kind === "CALIBRATE" ? stringOption(run.options, "dataset") : null;
  if (dataset?.startsWith("/")) paths.push({ label: "Calibration dataset", path: dataset });
  const referencePath = run.kind === "VERIFY" ? stringOption(run.options, "referencePath") : null;
  if (referencePath) paths.push({ label: "Reference checkpoint", path: referencePath });
  const gpus = (run.options as Record<string, unknown> | null)?.gpus;
  return {
    kind: run.kind,
    paths,
    gpus: typeof gpus === "number" ? gpus : 0,
    packages: runPackages(run.kind, run.options),
  };
}

export interface AssessedAgent {
  id: string;
  name: string;
  /** Why it can never run the run; empty when it can or may. */
  blockers: string[];
}

/** The agents that may take the run (the pinned one, or every agent of the team that is not revoked), each with why it cannot. */
export async function assessAgents(
  db: Db,
  input: { teamId: string; agentId: string | null; run: RunShape },
): Promise<AssessedAgent[]> {
  const agents = await db.agent.findMany({
    where: { teamId: input.teamId, ...(input.agentId ? { id: input.agentId } : { revokedAt: null }) },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, revokedAt: true, capabilities: true },
  });
  const needs = needsOf(input.run);
  return agents.map((agent) => {
    const view: AgentForRun = {
      name: agent.name,
      revoked: agent.revokedAt !== null,
      capabilities: parseCapabilities(agent.capabilities),
    };
    return { id: agent.id, name: agent.name, blockers: agentBlockers(view, needs) };
  });
}

/**
 * Why nobody can run the run, as one message for the user, or null when some agent can or may: a
 * run no agent can take would wait in the queue for ever, or fail late.
 */
export function refusalOf(assessed: readonly AssessedAgent[], pinned: boolean): string | null {
  if (assessed.some((agent) => agent.blockers.length === 0)) return null;
  if (assessed.length === 0) {
    return "This team has no agent to run it: add one on the Agents page and start it on the host that has the checkpoint.";
  }
  const [only] = assessed;
  if (pinned && only) return `Agent ${only.name} cannot run it: ${only.blockers.join("; ")}.`;
  return `No agent of this team can run it. ${assessed.map((a) => `${a.name}: ${a.blockers.join("; ")}.`).join(" ")}`;
}
