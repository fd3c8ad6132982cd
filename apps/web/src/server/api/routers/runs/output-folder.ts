import { z } from "zod";
import { measureRunOutput } from "../../../domain/runs/run-output";
import { teamMemberProcedure } from "../../trpc";

/** The run's output folder as its agent sees it now (path, size, files), before removing it. */
export const outputFolder = teamMemberProcedure
  .input(z.object({ runId: z.string().min(1) }))
  .query(({ ctx, input }) =>
    measureRunOutput(ctx.db, ctx.realtime, { teamId: ctx.team.teamId, runId: input.runId }),
  );
