import type { TeamRole } from "../../../lib/roles";
import type { Db } from "../../db";
import { DomainError } from "../errors";

export async function listTeamMembers(db: Db, teamId: string) {
  const members = await db.membership.findMany({
    where: { teamId },
    orderBy: { createdAt: "asc" },
    select: { role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  return members.map((m) => ({ ...m.user, role: m.role, joinedAt: m.createdAt }));
}

/** A team must keep at least one owner, or nobody could manage its agents and invitations again. */
async function assertNotLastOwner(db: Db, teamId: string, userId: string) {
  const target = await db.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
  if (!target) throw new DomainError("NOT_FOUND", "No such member");
  if (target.role !== "OWNER") return;
  const owners = await db.membership.count({ where: { teamId, role: "OWNER" } });
  if (owners <= 1) throw new DomainError("CONFLICT", "A team needs at least one owner");
}

export async function changeMemberRole(db: Db, input: { teamId: string; userId: string; role: TeamRole }) {
  if (input.role !== "OWNER") await assertNotLastOwner(db, input.teamId, input.userId);
  const { count } = await db.membership.updateMany({
    where: { teamId: input.teamId, userId: input.userId },
    data: { role: input.role },
  });
  if (count === 0) throw new DomainError("NOT_FOUND", "No such member");
}

export async function removeMember(db: Db, input: { teamId: string; userId: string }) {
  await assertNotLastOwner(db, input.teamId, input.userId);
  await db.membership.deleteMany({ where: { teamId: input.teamId, userId: input.userId } });
}
