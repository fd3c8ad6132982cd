import { z } from "zod";
import { createTeamWithOwner } from "../../../domain/teams/create-team";
import { authedProcedure } from "../../trpc";

/** Any signed-in user may start a new team, which they own. */
export const create = authedProcedure
  .input(z.object({ name: z.string().trim().min(1).max(80) }))
  .mutation(async ({ ctx, input }) => {
    const team = await createTeamWithOwner(ctx.db, { name: input.name, ownerId: ctx.user.id });
    return { id: team.id, slug: team.slug, name: team.name };
  });
