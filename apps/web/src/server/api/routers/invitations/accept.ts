import { z } from "zod";
import { acceptInvitation } from "../../../domain/invitations/accept-invitation";
import { authedProcedure } from "../../trpc";

export const accept = authedProcedure
  .input(z.object({ token: z.string().min(1) }))
  .mutation(({ ctx, input }) => acceptInvitation(ctx.db, { token: input.token, userId: ctx.user.id }));
