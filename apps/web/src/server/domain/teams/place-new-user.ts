import type { Db } from "../../db";
import { createTeamWithOwner } from "./create-team";
import { LOCAL_TEAM_SLUG, SYSTEM_USER_EMAIL } from "./local-team";

/** Serialises concurrent sign-ups so that exactly one of them becomes the Local team's owner. */
const SIGN_UP_LOCK_KEY = 0x66703461; // "fp4a"

/**
 * Gives a freshly signed-up user a team. The first real user of an instance joins the Local team
 * (created by `npm start`, holding the local agent) as OWNER so the agent is theirs right away;
 * everyone else gets a personal team of their own.
 */
export async function placeNewUser(db: Db, user: { id: string; name: string; email: string }) {
  if (user.email === SYSTEM_USER_EMAIL) return;
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SIGN_UP_LOCK_KEY})`;
    const localTeam = await tx.team.findUnique({ where: { slug: LOCAL_TEAM_SLUG }, select: { id: true } });
    if (localTeam) {
      const otherRealUsers = await tx.user.count({
        where: { id: { not: user.id }, email: { not: SYSTEM_USER_EMAIL } },
      });
      if (otherRealUsers === 0) {
        await tx.membership.create({ data: { teamId: localTeam.id, userId: user.id, role: "OWNER" } });
        return;
      }
    }
    const firstName = user.name.trim().split(/\s+/)[0] || "My";
    await createTeamWithOwner(tx, { name: `${firstName}'s team`, ownerId: user.id });
  });
}
