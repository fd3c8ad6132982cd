import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import type { Db } from "../../db";

/**
 * Registers an agent and returns its token. The plaintext exists only in this return value; the
 * database keeps the hash the realtime layer checks when the agent connects.
 */
export async function createAgent(db: Db, input: { teamId: string; name: string; createdById: string }) {
  const { token, tokenHash, tokenPrefix } = generateAgentToken();
  const agent = await db.agent.create({
    data: { teamId: input.teamId, name: input.name, createdById: input.createdById, tokenHash, tokenPrefix },
    select: { id: true, name: true, tokenPrefix: true, createdAt: true },
  });
  return { agent, token };
}
