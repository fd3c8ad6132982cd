import { z } from "zod";
import { revokeAgent } from "../../../domain/agents/revoke-agent";
import { teamOwnerProcedure } from "../../trpc";

export const revoke = teamOwnerProcedure
  .input(z.object({ agentId: z.string().min(1) }))
  .mutation(({ ctx, input }) =>
    revokeAgent(ctx.db, ctx.realtime, { teamId: ctx.team.teamId, agentId: input.agentId }),
  );
