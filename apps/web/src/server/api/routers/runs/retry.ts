import { z } from "zod";
import { retryRun } from "../../../domain/runs/retry-run";
import { teamMemberProcedure } from "../../trpc";

export const retry = teamMemberProcedure
  .input(z.object({ runId: z.string().min(1) }))
  .mutation(({ ctx, input }) =>
    retryRun(ctx.db, ctx.realtime, { teamId: ctx.team.teamId, runId: input.runId, createdById: ctx.user.id }),
  );
