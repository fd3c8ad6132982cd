import { hashApiToken } from "@fp4kit/db/agent-tokens";
import { beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken } from "../../src/server/domain/api-tokens/api-tokens";
import { DomainError } from "../../src/server/domain/errors";
import { setupTestDatabase } from "../support/test-db";
import { createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).message;
}

describe("personal API tokens", () => {
  it("are shown once, stored as a hash, listed only to their holder", async () => {
    const created = await w.as(w.viewerA).apiTokens.create({ teamId: w.teamA.id, name: "ci" });
    expect(created.token).toMatch(/^fp4k_[A-Za-z0-9_-]{43}$/);
    const stored = await database.current.prisma.apiToken.findUniqueOrThrow({
      where: { id: created.apiToken.id },
    });
    expect(stored.tokenHash).toBe(hashApiToken(created.token));
    expect(JSON.stringify(await w.as(w.viewerA).apiTokens.list({ teamId: w.teamA.id }))).not.toContain(
      created.token,
    );
    expect(await w.as(w.memberA).apiTokens.list({ teamId: w.teamA.id })).toEqual([]);
    await expectTrpcError(w.as(w.ownerB).apiTokens.list({ teamId: w.teamA.id }), "FORBIDDEN");
  });

  it("authenticate as their user and team, record the last use, and stop working once revoked", async () => {
    const db = database.current.prisma;
    const { token, apiToken } = await w
      .as(w.memberA)
      .apiTokens.create({ teamId: w.teamA.id, name: "laptop" });
    const who = await authenticateApiToken(db, token);
    expect(who).toMatchObject({ teamId: w.teamA.id, user: { id: w.memberA.id } });
    const used = await db.apiToken.findUniqueOrThrow({ where: { id: apiToken.id } });
    expect(used.lastUsedAt).not.toBeNull();
    // A second use within the minute does not write again.
    await authenticateApiToken(db, token);
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: apiToken.id } })).lastUsedAt).toEqual(
      used.lastUsedAt,
    );

    await expectTrpcError(
      w.as(w.viewerA).apiTokens.revoke({ teamId: w.teamA.id, tokenId: apiToken.id }),
      "NOT_FOUND",
    );
    await w.as(w.memberA).apiTokens.revoke({ teamId: w.teamA.id, tokenId: apiToken.id });
    expect(await refusal(authenticateApiToken(db, token))).toBe("This API token was revoked");
    expect(await refusal(authenticateApiToken(db, `${token}x`))).toBe("Unknown API token");
  });
});
