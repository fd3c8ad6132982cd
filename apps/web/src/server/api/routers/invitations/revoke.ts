import { z } from "zod";
import { revokeInvitation } from "../../../domain/invitations/list-invitations";
import { teamOwnerProcedure } from "../../trpc";

export const revoke = teamOwnerProcedure
  .input(z.object({ invitationId: z.string().min(1) }))
  .mutation(({ ctx, input }) =>
    revokeInvitation(ctx.db, { teamId: ctx.team.teamId, invitationId: input.invitationId }),
  );
