import { z } from "zod";
import { TeamRoleSchema } from "../../../../lib/roles";
import { createInvitation } from "../../../domain/invitations/create-invitation";
import { teamOwnerProcedure } from "../../trpc";

/** Returns the link's path (`/invite/<token>`) once; only the token's hash is stored. */
export const create = teamOwnerProcedure
  .input(z.object({ role: TeamRoleSchema }))
  .mutation(({ ctx, input }) =>
    createInvitation(ctx.db, { teamId: ctx.team.teamId, role: input.role, createdById: ctx.user.id }),
  );
