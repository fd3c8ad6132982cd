import { createHash, randomBytes } from "node:crypto";

/** Every agent token starts with this, so leaked tokens are recognisable (secret scanners). */
export const AGENT_TOKEN_PREFIX = "fp4a_";
/** Every personal API token starts with this. */
export const API_TOKEN_PREFIX = "fp4k_";

function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The only form in which an agent token is stored (Agent.tokenHash): lowercase sha256 hex. */
export function hashAgentToken(token: string): string {
  return sha256Hex(token);
}

/** The only form in which a personal API token is stored (ApiToken.tokenHash): lowercase sha256 hex. */
export function hashApiToken(token: string): string {
  return sha256Hex(token);
}

export interface NewAgentToken {
  /** Shown to the user once, never stored. */
  token: string;
  tokenHash: string;
  /** Safe to display ("fp4a_3kf9"). */
  tokenPrefix: string;
}

/** A fresh token: the prefix and 32 random bytes, base64url. A plain sha256 suffices for 256 bits of entropy. */
function generateToken(prefix: string): NewAgentToken {
  const token = prefix + randomBytes(32).toString("base64url");
  return { token, tokenHash: sha256Hex(token), tokenPrefix: token.slice(0, prefix.length + 4) };
}

export function generateAgentToken(): NewAgentToken {
  return generateToken(AGENT_TOKEN_PREFIX);
}

export function generateApiToken(): NewAgentToken {
  return generateToken(API_TOKEN_PREFIX);
}
