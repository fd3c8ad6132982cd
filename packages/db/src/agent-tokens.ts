import { createHash, randomBytes } from "node:crypto";

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
