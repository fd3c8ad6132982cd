import type { TeamRole } from "../../../lib/roles";
import type { Db } from "../../db";
import { generateInvitationToken, hashInvitationToken } from "./invitation-token";

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/** Creates an invitation link; the plaintext token exists only in the returned path. */
export async function createInvitation(
  db: Db,
  input: { teamId: string; role: TeamRole; createdById: string },
) {
  const token = generateInvitationToken();
  const invitation = await db.invitation.create({
    data: {
      teamId: input.teamId,
      role: input.role,
      createdById: input.createdById,
      tokenHash: hashInvitationToken(token),
      expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
    },
    select: { id: true, role: true, expiresAt: true },
  });
  return { ...invitation, path: `/invite/${token}` };
}
