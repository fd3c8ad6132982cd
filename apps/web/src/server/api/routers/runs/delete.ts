import { z } from "zod";
import { deleteRuns } from "../../../domain/runs/run-details";
import { deleteRunAndOutput } from "../../../domain/runs/run-output";
import { teamMemberProcedure } from "../../trpc";

/**
 * Delete finished runs' records. Files on the agents' disks stay, unless `removeOutput` asks the
 * agent of a single run to remove its output folder, naming the size the user confirmed.
 */
export const remove = teamMemberProcedure
  .input(
    z
      .object({
        runIds: z.array(z.string().min(1)).min(1).max(200),
        removeOutput: z.object({ confirmedBytes: z.number().int().nonnegative() }).optional(),
      })
      .refine((input) => !input.removeOutput || input.runIds.length === 1, {
        message: "Output folders are removed one run at a time",
        path: ["removeOutput"],
      }),
  )
  .mutation(async ({ ctx, input }) => {
    const [runId] = input.runIds;
    if (input.removeOutput && runId) {
      return deleteRunAndOutput(ctx.db, ctx.realtime, {
        teamId: ctx.team.teamId,
        runId,
        confirmedBytes: input.removeOutput.confirmedBytes,
      });
    }
    const { count } = await deleteRuns(ctx.db, { teamId: ctx.team.teamId, runIds: input.runIds });
    return { count, removed: null };
  });
