import { z } from "zod";

/** Mirrors the TeamRole enum of prisma/schema.prisma. */
export const TeamRoleSchema = z.enum(["OWNER", "MEMBER", "VIEWER"]);
export type TeamRole = z.infer<typeof TeamRoleSchema>;

const RANK: Record<TeamRole, number> = { VIEWER: 0, MEMBER: 1, OWNER: 2 };

/** Whether `role` grants at least what `required` grants (OWNER ⊃ MEMBER ⊃ VIEWER). */
export function roleAtLeast(role: TeamRole, required: TeamRole): boolean {
  return RANK[role] >= RANK[required];
}

export const ROLE_LABELS: Record<TeamRole, string> = { OWNER: "Owner", MEMBER: "Member", VIEWER: "Viewer" };
