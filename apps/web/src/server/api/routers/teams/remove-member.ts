import { z } from "zod";
import { removeMember as remove } from "../../../domain/teams/members";
import { teamOwnerProcedure } from "../../trpc";

export const removeMember = teamOwnerProcedure
  .input(z.object({ userId: z.string().min(1) }))
  .mutation(async ({ ctx, input }) => {
    await remove(ctx.db, { teamId: ctx.team.teamId, userId: input.userId });
    // Their open pages stop receiving the team's live updates now, not at the next periodic check.
    ctx.realtime.revokeTeamAccess(ctx.team.teamId, input.userId);
  });
