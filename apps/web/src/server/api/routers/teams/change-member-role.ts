import { z } from "zod";
import { TeamRoleSchema } from "../../../../lib/roles";
import { changeMemberRole as changeRole } from "../../../domain/teams/members";
import { teamOwnerProcedure } from "../../trpc";

export const changeMemberRole = teamOwnerProcedure
  .input(z.object({ userId: z.string().min(1), role: TeamRoleSchema }))
  .mutation(({ ctx, input }) =>
    changeRole(ctx.db, { teamId: ctx.team.teamId, userId: input.userId, role: input.role }),
  );
