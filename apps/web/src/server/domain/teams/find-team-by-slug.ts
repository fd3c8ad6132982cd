import type { Db } from "../../db";
import { DomainError } from "../errors";

/** A team the user is a member of, by slug; others' teams are NOT_FOUND, not FORBIDDEN (no probing). */
export async function findTeamOfUserBySlug(db: Db, input: { slug: string; userId: string }) {
  const membership = await db.membership.findFirst({
    where: { userId: input.userId, team: { slug: input.slug } },
    select: { role: true, team: { select: { id: true, name: true, slug: true } } },
  });
  if (!membership) throw new DomainError("NOT_FOUND", "No such team");
  return { ...membership.team, role: membership.role };
}
