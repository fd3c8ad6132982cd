import { z } from "zod";
import { createApiToken, listApiTokens, revokeApiToken } from "../../../domain/api-tokens/api-tokens";
import { createTRPCRouter, teamViewerProcedure } from "../../trpc";

/**
 * Personal API tokens: anyone in the team may hold some; each acts with its holder's current role
 * (a viewer's token reads, a member's also queues and cancels).
 */
export const apiTokensRouter = createTRPCRouter({
  list: teamViewerProcedure.query(({ ctx }) =>
    listApiTokens(ctx.db, { teamId: ctx.team.teamId, userId: ctx.user.id }),
  ),
  create: teamViewerProcedure
    .input(z.object({ name: z.string().trim().min(1, "Give the token a name").max(80) }))
    .mutation(({ ctx, input }) =>
      createApiToken(ctx.db, { teamId: ctx.team.teamId, userId: ctx.user.id, name: input.name }),
    ),
  revoke: teamViewerProcedure
    .input(z.object({ tokenId: z.string().min(1) }))
    .mutation(({ ctx, input }) =>
      revokeApiToken(ctx.db, { teamId: ctx.team.teamId, userId: ctx.user.id, tokenId: input.tokenId }),
    ),
});
