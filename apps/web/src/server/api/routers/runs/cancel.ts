import { z } from "zod";
import { cancelRun } from "../../../domain/runs/cancel-run";
import { teamMemberProcedure } from "../../trpc";

export const cancel = teamMemberProcedure
  .input(z.object({ runId: z.string().min(1) }))
  .mutation(({ ctx, input }) =>
    cancelRun(ctx.db, ctx.realtime, { teamId: ctx.team.teamId, runId: input.runId }),
  );
