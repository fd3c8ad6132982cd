import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";

/** Every agent token starts with this, so leaked tokens are recognisable (secret scanners). */
export const AGENT_TOKEN_PREFIX = "fp4a_";

/** The only form in which an agent token is stored (Agent.tokenHash): lowercase sha256 hex. */
export function hashAgentToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface NewAgentToken {
  /** Shown to the user once, never stored. */
  token: string;
  tokenHash: string;
  /** Safe to display ("fp4a_3kf9"). */
  tokenPrefix: string;
}

/** A fresh token: the prefix and 32 random bytes, base64url. A plain sha256 suffices for 256 bits of entropy. */
export function generateAgentToken(): NewAgentToken {
  const token = AGENT_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return {
    token,
    tokenHash: hashAgentToken(token),
    tokenPrefix: token.slice(0, AGENT_TOKEN_PREFIX.length + 4),
  };
}

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
