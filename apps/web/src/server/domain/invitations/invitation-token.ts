import { createHash, randomBytes } from "node:crypto";

/** An invitation link's secret: a recognisable prefix and 32 random bytes in base64url. */
export function generateInvitationToken(): string {
  return `fp4i_${randomBytes(32).toString("base64url")}`;
}

/** Only the sha256 (hex) of a token is stored: a database leak does not leak usable links. */
export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
