import { z } from "zod";
import { runLineage } from "../../../domain/runs/lineage";
import { teamViewerProcedure } from "../../trpc";

/** The inspect → convert → calibrate → verify chain around a run. */
export const lineage = teamViewerProcedure
  .input(z.object({ runId: z.string().min(1) }))
  .query(({ ctx, input }) => runLineage(ctx.db, { teamId: ctx.team.teamId, runId: input.runId }));
