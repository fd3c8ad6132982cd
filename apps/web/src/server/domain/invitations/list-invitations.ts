import type { Db } from "../../db";

/** Pending (not accepted, not expired) invitations of a team. */
export async function listPendingInvitations(db: Db, teamId: string) {
  return db.invitation.findMany({
    where: { teamId, acceptedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    select: { id: true, role: true, expiresAt: true, createdAt: true, createdBy: { select: { name: true } } },
  });
}

export async function revokeInvitation(db: Db, input: { teamId: string; invitationId: string }) {
  // Scoped by team so an owner of one team cannot delete another team's invitations.
  await db.invitation.deleteMany({
    where: { id: input.invitationId, teamId: input.teamId, acceptedAt: null },
  });
}
