import { agentBlockers } from "../../../lib/run-requirements";
import type { Db } from "../../db";
import { parseCapabilities } from "../agents/agent-capabilities";
import { DomainError } from "../errors";
import { needsOf } from "./run-agents";

/** Where an agent that may take a queued run stands now. */
export type CandidateState = "idle" | "busy" | "offline" | "revoked";

export interface QueueCandidate {
  id: string;
  name: string;
  state: CandidateState;
  lastSeenAt: Date | null;
  /** Queued runs it would claim before this one (agents claim the oldest they may take first). */
  ahead: number;
  /** The runs it is running now (busy). */
  running: { id: string; label: string }[];
  /** Why it cannot run the run (data roots, Python packages, GPUs, as it last reported them). */
  blockers: string[];
}

/** What holds a queued run back, most decisive first. */
export type WaitReason =
  | "cancel-requested"
  | "agent-revoked"
  | "no-agent"
  | "all-offline"
  | "runs-ahead"
  | "all-busy"
  | "about-to-start";

/**
 * Why a queued run is waiting: the agents that may take it (the pinned one, or every agent of the
 * team) with their state and the queued runs each would claim first (claimNextRun's order), its
 * position (through the agent that reaches it first: an online one when there is one), and the
 * reason it has not started. Null once it left the queue.
 */
export async function queueStatus(db: Db, input: { teamId: string; runId: string }) {
  const run = await db.run.findFirst({
    where: { id: input.runId, teamId: input.teamId },
    select: {
      id: true,
      status: true,
      agentId: true,
      cancelRequestedAt: true,
      kind: true,
      sourcePath: true,
      destPath: true,
      options: true,
    },
  });
  if (!run) throw new DomainError("NOT_FOUND", "No such run");
  if (run.status !== "QUEUED") return null;

  // The runs an agent claims before this one: the same conditions and order as claimNextRun.
  const before = await db.$queryRaw<{ agentId: string | null }[]>`
    SELECT "agentId" FROM run
    WHERE status = 'QUEUED' AND "teamId" = ${input.teamId} AND "cancelRequestedAt" IS NULL
      AND ("createdAt", id) < (SELECT "createdAt", id FROM run WHERE id = ${run.id})`;
  const aheadFor = (agentId: string | null) =>
    before.filter((r) => r.agentId === null || (agentId !== null && r.agentId === agentId)).length;

  const agents = await db.agent.findMany({
    where: run.agentId ? { id: run.agentId } : { teamId: input.teamId, revokedAt: null },
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      connectedAt: true,
      lastSeenAt: true,
      revokedAt: true,
      capabilities: true,
      runs: {
        where: { status: "RUNNING" },
        orderBy: { startedAt: "asc" },
        select: { id: true, name: true, model: true },
      },
    },
  });
  const needs = needsOf(run);
  const candidates: QueueCandidate[] = agents.map((agent) => {
    const revoked = agent.revokedAt !== null;
    const capabilities = parseCapabilities(agent.capabilities);
    return {
      id: agent.id,
      name: agent.name,
      state: revoked
        ? "revoked"
        : agent.connectedAt === null
          ? "offline"
          : agent.runs.length > 0
            ? "busy"
            : "idle",
      lastSeenAt: agent.lastSeenAt,
      ahead: aheadFor(agent.id),
      running: agent.runs.map((r) => ({ id: r.id, label: r.name ?? r.model })),
      blockers: revoked ? [] : agentBlockers({ name: agent.name, revoked, capabilities }, needs),
    };
  });

  const online = candidates.filter((c) => c.state === "idle" || c.state === "busy");
  const reaching = online.length > 0 ? online : candidates.filter((c) => c.state !== "revoked");
  // Without any agent, the runs any agent would take first.
  const ahead = reaching.length > 0 ? Math.min(...reaching.map((c) => c.ahead)) : aheadFor(null);
  const reason: WaitReason = run.cancelRequestedAt
    ? "cancel-requested"
    : candidates.some((c) => c.state === "revoked")
      ? "agent-revoked"
      : candidates.length === 0
        ? "no-agent"
        : online.length === 0
          ? "all-offline"
          : ahead > 0
            ? "runs-ahead"
            : online.some((c) => c.state === "idle" && c.ahead === 0)
              ? "about-to-start"
              : "all-busy";
  return { position: ahead + 1, ahead, pinned: run.agentId !== null, candidates, reason };
}
export type QueueStatus = NonNullable<Awaited<ReturnType<typeof queueStatus>>>;
