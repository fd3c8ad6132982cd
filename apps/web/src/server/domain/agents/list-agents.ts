import type { Db } from "../../db";
import { parseCapabilities } from "./agent-capabilities";

/** The team's agents, online ones first, with the state the Agents and New run pages show. */
export async function listAgents(db: Db, input: { teamId: string; includeRevoked: boolean }) {
  const agents = await db.agent.findMany({
    where: { teamId: input.teamId, ...(input.includeRevoked ? {} : { revokedAt: null }) },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      name: true,
      tokenPrefix: true,
      createdAt: true,
      revokedAt: true,
      connectedAt: true,
      lastSeenAt: true,
      hostname: true,
      version: true,
      capabilities: true,
      createdBy: { select: { name: true } },
      _count: { select: { runs: { where: { status: "RUNNING" } } } },
    },
  });
  const views = agents.map(({ capabilities, _count, ...agent }) => ({
    ...agent,
    // connectedAt is cleared on disconnect, and by the realtime sweeper for agents gone silent.
    online: agent.revokedAt === null && agent.connectedAt !== null,
    runningRuns: _count.runs,
    capabilities: parseCapabilities(capabilities),
  }));
  return views.sort((a, b) => Number(b.online) - Number(a.online));
}
