import type { Db } from "../../db";

/** The teams the user belongs to, with their role in each, oldest membership first. */
export async function listTeamsOfUser(db: Db, userId: string) {
  const memberships = await db.membership.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { role: true, team: { select: { id: true, name: true, slug: true } } },
  });
  return memberships.map((m) => ({ ...m.team, role: m.role }));
}
