import { z } from "zod";
import { compareRuns } from "../../../domain/runs/compare-runs";
import { teamViewerProcedure } from "../../trpc";

export const compare = teamViewerProcedure
  .input(z.object({ runIds: z.array(z.string().min(1)).min(2).max(8) }))
  .query(({ ctx, input }) =>
    compareRuns(ctx.db, { teamId: ctx.team.teamId, runIds: [...new Set(input.runIds)] }),
  );
