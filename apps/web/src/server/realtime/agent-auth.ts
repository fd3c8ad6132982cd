import { hashAgentToken } from "@fp4kit/db/agent-tokens";
import type { Db } from "../db";

export interface AuthenticatedAgent {
  id: string;
  teamId: string;
  name: string;
}

export type AgentTokenCheck =
  | { ok: true; agent: AuthenticatedAgent }
  | { ok: false; reason: "missingToken" | "invalidToken" | "revoked" };

export async function authenticateAgentToken(db: Db, token: unknown): Promise<AgentTokenCheck> {
  if (typeof token !== "string" || token.length === 0) return { ok: false, reason: "missingToken" };
  const agent = await db.agent.findUnique({
    where: { tokenHash: hashAgentToken(token) },
    select: { id: true, teamId: true, name: true, revokedAt: true },
  });
  if (!agent) return { ok: false, reason: "invalidToken" };
  if (agent.revokedAt) return { ok: false, reason: "revoked" };
  return { ok: true, agent: { id: agent.id, teamId: agent.teamId, name: agent.name } };
}
