import { NewRunInputSchema } from "@fp4kit/protocol";
import { z } from "zod";
import { createRun } from "../../../domain/runs/create-run";
import { teamMemberProcedure } from "../../trpc";

/**
 * Queues a run. `spec` is validated with the same schema the New run form uses; `parentRunId` names
 * the run it continues (the inspect a convert follows, the convert a verify checks).
 */
export const create = teamMemberProcedure
  .input(z.object({ spec: NewRunInputSchema, parentRunId: z.string().min(1).nullish() }))
  .mutation(({ ctx, input }) =>
    createRun(ctx.db, ctx.realtime, {
      teamId: ctx.team.teamId,
      createdById: ctx.user.id,
      spec: input.spec,
      parentRunId: input.parentRunId ?? null,
    }),
  );
