import { beforeAll, describe, expect, it } from "vitest";
import { setupTestDatabase } from "../support/test-db";
import { createUser, createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

const tokenOf = (path: string) => path.replace("/invite/", "");

describe("invitations", () => {
  it("lets a new user join with the invited role, once", async () => {
    const invitation = await w.as(w.ownerA).invitations.create({ teamId: w.teamA.id, role: "VIEWER" });
    expect(invitation.path).toMatch(/^\/invite\/fp4i_/);
    const stored = await database.current.prisma.invitation.findUniqueOrThrow({
      where: { id: invitation.id },
    });
    expect(stored.tokenHash).not.toContain(tokenOf(invitation.path));

    const newcomer = await createUser(database.current.prisma, "Newcomer");
    const preview = await w.as(newcomer).invitations.preview({ token: tokenOf(invitation.path) });
    expect(preview).toMatchObject({ team: { id: w.teamA.id }, role: "VIEWER", invitedBy: "OwnerA" });
    await w.as(newcomer).invitations.accept({ token: tokenOf(invitation.path) });
    expect((await w.as(newcomer).teams.bySlug({ slug: w.teamA.slug })).role).toBe("VIEWER");

    const another = await createUser(database.current.prisma, "Another");
    await expectTrpcError(w.as(another).invitations.accept({ token: tokenOf(invitation.path) }), "CONFLICT");
  });

  it("does not demote an existing member", async () => {
    const invitation = await w.as(w.ownerA).invitations.create({ teamId: w.teamA.id, role: "VIEWER" });
    await w.as(w.memberA).invitations.accept({ token: tokenOf(invitation.path) });
    expect((await w.as(w.memberA).teams.bySlug({ slug: w.teamA.slug })).role).toBe("MEMBER");
  });

  it("rejects unknown and expired tokens", async () => {
    await expectTrpcError(w.as(w.outsider).invitations.preview({ token: "fp4i_nope" }), "NOT_FOUND");
    const invitation = await w.as(w.ownerA).invitations.create({ teamId: w.teamA.id, role: "MEMBER" });
    await database.current.prisma.invitation.update({
      where: { id: invitation.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expectTrpcError(
      w.as(w.outsider).invitations.accept({ token: tokenOf(invitation.path) }),
      "CONFLICT",
    );
  });

  it("keeps creating, listing and revoking to the team's owners", async () => {
    await expectTrpcError(
      w.as(w.memberA).invitations.create({ teamId: w.teamA.id, role: "MEMBER" }),
      "FORBIDDEN",
    );
    await expectTrpcError(w.as(w.ownerB).invitations.list({ teamId: w.teamA.id }), "FORBIDDEN");
    const invitation = await w.as(w.ownerA).invitations.create({ teamId: w.teamA.id, role: "OWNER" });
    expect((await w.as(w.ownerA).invitations.list({ teamId: w.teamA.id })).map((i) => i.id)).toContain(
      invitation.id,
    );
    // B's owner naming A's invitation under B's team id deletes nothing.
    await w.as(w.ownerB).invitations.revoke({ teamId: w.teamB.id, invitationId: invitation.id });
    expect((await w.as(w.ownerA).invitations.list({ teamId: w.teamA.id })).map((i) => i.id)).toContain(
      invitation.id,
    );
    await w.as(w.ownerA).invitations.revoke({ teamId: w.teamA.id, invitationId: invitation.id });
    expect((await w.as(w.ownerA).invitations.list({ teamId: w.teamA.id })).map((i) => i.id)).not.toContain(
      invitation.id,
    );
  });
});
