import type { Prisma } from "@fp4kit/db";
import type { AgentCapabilities, AgentStatusUpdate } from "@fp4kit/protocol";
import type { Db } from "../db";

/**
 * Online/offline bookkeeping of agents in the Agent table. `connectedAt` is non-null while some
 * socket of the agent is connected to some web instance; each socket remembers the value it
 * wrote, so the disconnect of an old socket does not clear a newer connection.
 */

export async function markAgentConnected(db: Db, agentId: string): Promise<Date> {
  const rows = await db.$queryRaw<{ connectedAt: Date }[]>`
    UPDATE agent SET "connectedAt" = now(), "lastSeenAt" = now() WHERE id = ${agentId}
    RETURNING "connectedAt"`;
  const row = rows[0];
  if (!row) throw new Error(`agent ${agentId} vanished while connecting`);
  return row.connectedAt;
}

export async function recordAgentHello(
  db: Db,
  agentId: string,
  capabilities: AgentCapabilities,
): Promise<void> {
  await db.agent.update({
    where: { id: agentId },
    data: {
      hostname: capabilities.hostname,
      version: capabilities.version,
      capabilities: capabilities as unknown as Prisma.InputJsonObject,
      lastSeenAt: new Date(),
    },
  });
}

export type HeartbeatResult =
  | { revoked: true }
  | { revoked: false; connectedAt: Date; lastSeenAt: Date; cameBackOnline: boolean };

/**
 * Records a heartbeat. An agent the sweeper had marked offline while its socket stayed up (a
 * stalled host) comes back online here. Refuses revoked agents, so a revocation that happened
 * without `revokeAgent` (another tool, another instance) still ends the session.
 */
export async function recordHeartbeat(db: Db, agentId: string): Promise<HeartbeatResult> {
  // now() is fixed within a statement: connectedAt equals lastSeenAt exactly when it was just set.
  const rows = await db.$queryRaw<{ connectedAt: Date; lastSeenAt: Date; cameBackOnline: boolean }[]>`
    UPDATE agent SET "lastSeenAt" = now(), "connectedAt" = COALESCE("connectedAt", now())
    WHERE id = ${agentId} AND "revokedAt" IS NULL
    RETURNING "connectedAt", "lastSeenAt", "connectedAt" = "lastSeenAt" AS "cameBackOnline"`;
  const row = rows[0];
  return row ? { revoked: false, ...row } : { revoked: true };
}

/** Clears `connectedAt` if it still is this socket's; true when the agent went offline by it. */
export async function markAgentDisconnected(db: Db, agentId: string, connectedAt: Date): Promise<boolean> {
  const { count } = await db.agent.updateMany({
    where: { id: agentId, connectedAt },
    data: { connectedAt: null },
  });
  return count === 1;
}

export interface OfflineAgent {
  teamId: string;
  update: AgentStatusUpdate;
}

/** Marks offline every agent whose last heartbeat is older than `silenceSeconds`. */
export async function markSilentAgentsOffline(db: Db, silenceSeconds: number): Promise<OfflineAgent[]> {
  const rows = await db.$queryRaw<{ id: string; teamId: string; lastSeenAt: Date | null }[]>`
    UPDATE agent SET "connectedAt" = NULL
    WHERE "connectedAt" IS NOT NULL
      AND ("lastSeenAt" IS NULL OR "lastSeenAt" < now() - ${silenceSeconds}::int * interval '1 second')
    RETURNING id, "teamId", "lastSeenAt"`;
  return rows.map((r) => ({
    teamId: r.teamId,
    update: { agentId: r.id, online: false, lastSeenAt: r.lastSeenAt?.toISOString() ?? null },
  }));
}
