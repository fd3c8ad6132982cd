import { z } from "zod";
import { listAgents } from "../../../domain/agents/list-agents";
import { teamViewerProcedure } from "../../trpc";

export const list = teamViewerProcedure
  .input(z.object({ includeRevoked: z.boolean().default(false) }))
  .query(({ ctx, input }) =>
    listAgents(ctx.db, { teamId: ctx.team.teamId, includeRevoked: input.includeRevoked }),
  );
