import { z } from "zod";
import { removeMember as remove } from "../../../domain/teams/members";
import { teamOwnerProcedure } from "../../trpc";

export const removeMember = teamOwnerProcedure
  .input(z.object({ userId: z.string().min(1) }))
  .mutation(({ ctx, input }) => remove(ctx.db, { teamId: ctx.team.teamId, userId: input.userId }));
