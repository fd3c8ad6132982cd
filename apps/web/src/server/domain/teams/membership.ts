import type { TeamRole } from "../../../lib/roles";
import { roleAtLeast } from "../../../lib/roles";
import type { Db } from "../../db";
import { DomainError } from "../errors";

export interface TeamAccess {
  teamId: string;
  userId: string;
  role: TeamRole;
}

/**
 * The caller's membership of a team, required to be at least `required`. Non-members get the same
 * FORBIDDEN as under-privileged members, so team ids cannot be probed.
 */
export async function requireTeamRole(
  db: Db,
  input: { teamId: string; userId: string; required: TeamRole },
): Promise<TeamAccess> {
  const membership = await db.membership.findUnique({
    where: { teamId_userId: { teamId: input.teamId, userId: input.userId } },
    select: { role: true },
  });
  if (!membership) throw new DomainError("FORBIDDEN", "You are not a member of this team");
  if (!roleAtLeast(membership.role, input.required)) {
    throw new DomainError("FORBIDDEN", `This needs the ${input.required.toLowerCase()} role or higher`);
  }
  return { teamId: input.teamId, userId: input.userId, role: membership.role };
}
