import { z } from "zod";
import { findTeamOfUserBySlug } from "../../../domain/teams/find-team-by-slug";
import { authedProcedure } from "../../trpc";

export const bySlug = authedProcedure
  .input(z.object({ slug: z.string().min(1) }))
  .query(({ ctx, input }) => findTeamOfUserBySlug(ctx.db, { slug: input.slug, userId: ctx.user.id }));
