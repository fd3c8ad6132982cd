import { createTestDatabase } from "@fp4kit/db/testing";
import { describe, expect, it } from "vitest";
import { LOCAL_TEAM_SLUG, SYSTEM_USER_EMAIL } from "../../src/server/domain/teams/local-team";
import { createTestAuth, signUp } from "../support/auth";

async function teamsOf(db: Awaited<ReturnType<typeof createTestDatabase>>["prisma"], userId: string) {
  const memberships = await db.membership.findMany({ where: { userId }, include: { team: true } });
  return memberships.map((m) => ({ slug: m.team.slug, role: m.role }));
}

describe("sign-up", () => {
  it("makes the first real user the owner of the Local team, and gives later users their own team", async () => {
    const { prisma: db, drop } = await createTestDatabase();
    try {
      // What `npm start` creates on first start.
      const system = await db.user.create({
        data: { id: "system", name: "Local", email: SYSTEM_USER_EMAIL },
      });
      const local = await db.team.create({ data: { name: "Local", slug: LOCAL_TEAM_SLUG } });
      await db.membership.create({ data: { teamId: local.id, userId: system.id, role: "OWNER" } });
      const auth = createTestAuth(db);

      const first = await signUp(auth, "Ada Lovelace", "ada@example.com");
      expect(await teamsOf(db, first.userId)).toEqual([{ slug: LOCAL_TEAM_SLUG, role: "OWNER" }]);

      const second = await signUp(auth, "Grace Hopper", "grace@example.com");
      expect(await teamsOf(db, second.userId)).toEqual([{ slug: "graces-team", role: "OWNER" }]);

      // Passwords are hashed by better-auth, sessions live in Postgres.
      const account = await db.account.findFirstOrThrow({ where: { userId: first.userId } });
      expect(account.password).not.toContain("correct horse");
      expect(await db.session.count({ where: { userId: first.userId } })).toBe(1);
    } finally {
      await drop();
    }
  });

  it("gives every user a personal team when there is no Local team", async () => {
    const { prisma: db, drop } = await createTestDatabase();
    try {
      const auth = createTestAuth(db);
      const { userId } = await signUp(auth, "Ada", "ada@example.com");
      expect(await teamsOf(db, userId)).toEqual([{ slug: "adas-team", role: "OWNER" }]);
    } finally {
      await drop();
    }
  });
});
