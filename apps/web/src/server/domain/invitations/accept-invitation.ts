import { roleAtLeast } from "../../../lib/roles";
import type { Db } from "../../db";
import { DomainError } from "../errors";
import { hashInvitationToken } from "./invitation-token";

async function findUsableInvitation(db: Db, token: string) {
  const invitation = await db.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    select: {
      id: true,
      role: true,
      expiresAt: true,
      acceptedAt: true,
      team: { select: { id: true, name: true, slug: true } },
      createdBy: { select: { name: true } },
    },
  });
  if (!invitation) throw new DomainError("NOT_FOUND", "This invitation link is not valid");
  if (invitation.acceptedAt) throw new DomainError("CONFLICT", "This invitation was already used");
  if (invitation.expiresAt <= new Date()) throw new DomainError("CONFLICT", "This invitation has expired");
  return invitation;
}

/** What the accept page shows before the user commits. */
export async function previewInvitation(db: Db, token: string) {
  const invitation = await findUsableInvitation(db, token);
  return { team: invitation.team, role: invitation.role, invitedBy: invitation.createdBy.name };
}

/**
 * Joins the team with the invitation's role. A user who is already a member keeps the higher of
 * the two roles rather than being demoted by an old link.
 */
export async function acceptInvitation(db: Db, input: { token: string; userId: string }) {
  const invitation = await findUsableInvitation(db, input.token);
  return db.$transaction(async (tx) => {
    const { count } = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null },
      data: { acceptedAt: new Date(), acceptedBy: input.userId },
    });
    if (count === 0) throw new DomainError("CONFLICT", "This invitation was already used");
    const existing = await tx.membership.findUnique({
      where: { teamId_userId: { teamId: invitation.team.id, userId: input.userId } },
    });
    if (!existing) {
      await tx.membership.create({
        data: { teamId: invitation.team.id, userId: input.userId, role: invitation.role },
      });
    } else if (!roleAtLeast(existing.role, invitation.role)) {
      await tx.membership.update({ where: { id: existing.id }, data: { role: invitation.role } });
    }
    return invitation.team;
  });
}
