import { z } from "zod";
import { findTeamRun } from "../../../domain/runs/get-run";
import { teamViewerProcedure } from "../../trpc";

export const get = teamViewerProcedure
  .input(z.object({ runId: z.string().min(1) }))
  .query(({ ctx, input }) => findTeamRun(ctx.db, { teamId: ctx.team.teamId, runId: input.runId }));
