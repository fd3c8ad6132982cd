import { generateApiToken, hashApiToken } from "@fp4kit/db/agent-tokens";
import type { Db } from "../../db";
import { DomainError } from "../errors";

/** Last-used times are written at most this often, so a client polling every second costs no writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

const TOKEN_VIEW = {
  id: true,
  name: true,
  tokenPrefix: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

/**
 * Creates a personal API token of `userId` for one team. The plaintext exists only in this return
 * value; the database keeps its sha256.
 */
export async function createApiToken(db: Db, input: { teamId: string; userId: string; name: string }) {
  const { token, tokenHash, tokenPrefix } = generateApiToken();
  const apiToken = await db.apiToken.create({
    data: { teamId: input.teamId, userId: input.userId, name: input.name, tokenHash, tokenPrefix },
    select: TOKEN_VIEW,
  });
  return { apiToken, token };
}

/** The caller's own tokens for the team, newest first, revoked ones included (they say when). */
export function listApiTokens(db: Db, input: { teamId: string; userId: string }) {
  return db.apiToken.findMany({
    where: { teamId: input.teamId, userId: input.userId },
    orderBy: { createdAt: "desc" },
    select: TOKEN_VIEW,
  });
}

/** Revokes one of the caller's tokens for good; revoking twice is not an error. */
export async function revokeApiToken(db: Db, input: { teamId: string; userId: string; tokenId: string }) {
  const token = await db.apiToken.findFirst({
    where: { id: input.tokenId, teamId: input.teamId, userId: input.userId },
    select: { revokedAt: true },
  });
  if (!token) throw new DomainError("NOT_FOUND", "No such token");
  if (!token.revokedAt) {
    await db.apiToken.update({ where: { id: input.tokenId }, data: { revokedAt: new Date() } });
  }
}

/**
 * The user and team a bearer token stands for, or UNAUTHORIZED. The user's role is not decided
 * here: every call checks the membership the user has in the team at that moment.
 */
export async function authenticateApiToken(db: Db, token: string) {
  const found = await db.apiToken.findUnique({
    where: { tokenHash: hashApiToken(token) },
    select: {
      id: true,
      teamId: true,
      revokedAt: true,
      lastUsedAt: true,
      user: { select: { id: true, name: true, email: true } },
    },
  });
  if (!found) throw new DomainError("UNAUTHORIZED", "Unknown API token");
  if (found.revokedAt) throw new DomainError("UNAUTHORIZED", "This API token was revoked");
  const now = new Date();
  if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.apiToken.update({ where: { id: found.id }, data: { lastUsedAt: now } });
  }
  return { tokenId: found.id, teamId: found.teamId, user: found.user };
}
