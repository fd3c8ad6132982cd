import type { Db } from "../../db";
import type { RealtimePort } from "../../realtime-port";
import { DomainError } from "../errors";

/** Revokes an agent's token for good and disconnects it; its queued pinned runs stay for a retry elsewhere. */
export async function revokeAgent(
  db: Db,
  realtime: RealtimePort,
  input: { teamId: string; agentId: string },
) {
  const { count } = await db.agent.updateMany({
    where: { id: input.agentId, teamId: input.teamId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) {
    const exists = await db.agent.count({ where: { id: input.agentId, teamId: input.teamId } });
    if (!exists) throw new DomainError("NOT_FOUND", "No such agent");
    return; // already revoked
  }
  await realtime.revokeAgent(input.agentId);
}
