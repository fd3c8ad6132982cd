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
  /** Connected now, or seen within the reconnect grace. */
  online: boolean;
  /** When it was last heard from; null when it never connected. */
  lastSeenAt: Date | null;
}

/**
 * An agent seen this recently counts as online although its socket is gone: a socket that drops
 * and reconnects at once (a web restart, a network blip) should not turn runs away meanwhile.
 */
export const RECONNECT_GRACE_MS = 10_000;

/** The agents that may take the run (the pinned one, or every agent of the team that is not revoked), each with why it cannot. */
export async function assessAgents(
  db: Db,
  input: { teamId: string; agentId: string | null; run: RunShape },
): Promise<AssessedAgent[]> {
  const agents = await db.agent.findMany({
    where: { teamId: input.teamId, ...(input.agentId ? { id: input.agentId } : { revokedAt: null }) },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      name: true,
      revokedAt: true,
      capabilities: true,
      connectedAt: true,
      lastSeenAt: true,
    },
  });
  const needs = needsOf(input.run);
  const now = Date.now();
  return agents.map((agent) => {
    const view: AgentForRun = {
      name: agent.name,
      revoked: agent.revokedAt !== null,
      capabilities: parseCapabilities(agent.capabilities),
    };
    const online =
      agent.connectedAt !== null ||
      (agent.lastSeenAt !== null && now - agent.lastSeenAt.getTime() < RECONNECT_GRACE_MS);
    return {
      id: agent.id,
      name: agent.name,
      blockers: agentBlockers(view, needs),
      online,
      lastSeenAt: agent.lastSeenAt,
    };
  });
}

/** "13:02 UTC" today, "2026-12-06 13:02 UTC" on another day: when an agent was last heard from. */
function utcMoment(at: Date, now = new Date()): string {
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}

function offlineState(agent: AssessedAgent): string {
  return agent.lastSeenAt === null
    ? `agent ${agent.name} has never connected`
    : `agent ${agent.name} is offline since ${utcMoment(agent.lastSeenAt)}`;
}

/**
 * Why nobody can run the run, as one message for the user, or null when an agent that can run it
 * is online. When no agent could ever run it (data roots, packages, GPUs, revoked), that is what it
 * says; when every agent that could is offline, the run would only wait for one to come back, so it
 * is refused too, saying which to start. A run already queued whose agent goes offline later waits.
 */
export function refusalOf(assessed: readonly AssessedAgent[], pinned: boolean): string | null {
  const capable = assessed.filter((agent) => agent.blockers.length === 0);
  if (capable.some((agent) => agent.online)) return null;
  if (capable.length > 0) {
    const states = capable.map(offlineState);
    if (pinned) return `${upperFirst(states.join(""))} — start it, or choose another agent.`;
    return capable.length === 1
      ? `No agent of this team that can run it is online: ${states.join("")}. Start it, or add an agent on the Agents page.`
      : `No agent of this team that can run it is online: ${states.join("; ")}. Start one of them.`;
  }
  if (assessed.length === 0) {
    return "This team has no agent to run it: add one on the Agents page and start it on the host that has the checkpoint.";
  }
  const [only] = assessed;
  if (pinned && only) return `Agent ${only.name} cannot run it: ${only.blockers.join("; ")}.`;
  return `No agent of this team can run it. ${assessed.map((a) => `${a.name}: ${a.blockers.join("; ")}.`).join(" ")}`;
}

const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
