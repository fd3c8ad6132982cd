import { z } from "zod";
import { previewInvitation } from "../../../domain/invitations/accept-invitation";
import { authedProcedure } from "../../trpc";

export const preview = authedProcedure
  .input(z.object({ token: z.string().min(1) }))
  .query(({ ctx, input }) => previewInvitation(ctx.db, input.token));
