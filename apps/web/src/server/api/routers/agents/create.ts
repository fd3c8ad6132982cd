import { z } from "zod";
import { createAgent } from "../../../domain/agents/create-agent";
import { teamOwnerProcedure } from "../../trpc";

/** Registers an agent; the response carries its token, which is never shown again. */
export const create = teamOwnerProcedure
  .input(z.object({ name: z.string().trim().min(1).max(80) }))
  .mutation(({ ctx, input }) =>
    createAgent(ctx.db, { teamId: ctx.team.teamId, name: input.name, createdById: ctx.user.id }),
  );
