import { RunDetailsPatchSchema } from "@fp4kit/protocol";
import { z } from "zod";
import { updateRunDetails } from "../../../domain/runs/run-details";
import { teamMemberProcedure } from "../../trpc";

/** Rename, re-tag or annotate a run. */
export const update = teamMemberProcedure
  .input(z.object({ runId: z.string().min(1), patch: RunDetailsPatchSchema }))
  .mutation(({ ctx, input }) =>
    updateRunDetails(ctx.db, { teamId: ctx.team.teamId, runId: input.runId, patch: input.patch }),
  );
