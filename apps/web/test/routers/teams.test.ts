import { beforeAll, describe, expect, it } from "vitest";
import { setupTestDatabase } from "../support/test-db";
import { createUser, createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

describe("me.get", () => {
  it("returns the user's teams with roles", async () => {
    const me = await w.as(w.viewerA).me.get();
    expect(me.teams).toEqual([{ id: w.teamA.id, name: "Team A", slug: w.teamA.slug, role: "VIEWER" }]);
  });

  it("needs a session", async () => {
    await expectTrpcError(w.as(null).me.get(), "UNAUTHORIZED");
  });
});

describe("teams", () => {
  it("finds a team by slug only for its members", async () => {
    expect((await w.as(w.memberA).teams.bySlug({ slug: w.teamA.slug })).role).toBe("MEMBER");
    await expectTrpcError(w.as(w.ownerB).teams.bySlug({ slug: w.teamA.slug }), "NOT_FOUND");
  });

  it("creates a team owned by its creator, with a unique slug", async () => {
    const first = await w.as(w.outsider).teams.create({ name: "Ada's Lab" });
    const second = await w.as(w.ownerB).teams.create({ name: "Ada's Lab" });
    expect(first.slug).toBe("adas-lab");
    expect(second.slug).toMatch(/^adas-lab-[0-9a-f]{6}$/);
    expect((await w.as(w.outsider).teams.bySlug({ slug: first.slug })).role).toBe("OWNER");
  });

  it("refuses a second team of the same name for one user, whatever the case", async () => {
    const refused = await w
      .as(w.memberA)
      .teams.create({ name: "  team a " })
      .then(
        () => null,
        (error: unknown) => error as { code: string; message: string },
      );
    expect(refused).toMatchObject({
      code: "CONFLICT",
      message: 'You already belong to a team named "Team A": choose another name.',
    });
    // Another user may use the name: names are told apart per user.
    await w.as(w.outsider).teams.create({ name: "Team A" });
  });

  it("lists members to any member but not to outsiders", async () => {
    const members = await w.as(w.viewerA).teams.members({ teamId: w.teamA.id });
    expect(members.map((m) => m.role).sort()).toEqual(["MEMBER", "OWNER", "VIEWER"]);
    await expectTrpcError(w.as(w.ownerB).teams.members({ teamId: w.teamA.id }), "FORBIDDEN");
  });

  it("lets owners change roles, but not remove the last owner", async () => {
    await w.as(w.ownerA).teams.changeMemberRole({ teamId: w.teamA.id, userId: w.viewerA.id, role: "MEMBER" });
    expect((await w.as(w.viewerA).teams.bySlug({ slug: w.teamA.slug })).role).toBe("MEMBER");
    await w.as(w.ownerA).teams.changeMemberRole({ teamId: w.teamA.id, userId: w.viewerA.id, role: "VIEWER" });
    await expectTrpcError(
      w.as(w.ownerA).teams.changeMemberRole({ teamId: w.teamA.id, userId: w.ownerA.id, role: "MEMBER" }),
      "CONFLICT",
    );
    await expectTrpcError(
      w.as(w.ownerA).teams.removeMember({ teamId: w.teamA.id, userId: w.ownerA.id }),
      "CONFLICT",
    );
  });

  it("ends a removed member's live updates at once", async () => {
    const leaving = await createUser(database.current.prisma, "Leaving");
    await database.current.prisma.membership.create({
      data: { teamId: w.teamA.id, userId: leaving.id, role: "MEMBER" },
    });
    await w.as(w.ownerA).teams.removeMember({ teamId: w.teamA.id, userId: leaving.id });
    expect(w.calls.accessRevoked).toContainEqual({ teamId: w.teamA.id, userId: leaving.id });
  });

  it("keeps role changes and removals to owners of that team", async () => {
    await expectTrpcError(
      w.as(w.memberA).teams.changeMemberRole({ teamId: w.teamA.id, userId: w.viewerA.id, role: "OWNER" }),
      "FORBIDDEN",
    );
    await expectTrpcError(
      w.as(w.ownerB).teams.removeMember({ teamId: w.teamA.id, userId: w.viewerA.id }),
      "FORBIDDEN",
    );
    // An owner of B naming A's member under B's id changes nothing in A.
    await expectTrpcError(
      w.as(w.ownerB).teams.changeMemberRole({ teamId: w.teamB.id, userId: w.memberA.id, role: "OWNER" }),
      "NOT_FOUND",
    );
  });
});
