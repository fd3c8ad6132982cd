import { z } from "zod";
import { readLogSince } from "../../../domain/runs/run-log";
import { teamViewerProcedure } from "../../trpc";

/** A page of a run's log after a sequence number, and whether the log is complete. */
export const log = teamViewerProcedure
  .input(
    z.object({
      runId: z.string().min(1),
      after: z.number().int().nonnegative().default(0),
      limit: z.number().int().min(1).max(5000).default(1000),
    }),
  )
  .query(({ ctx, input }) =>
    readLogSince(ctx.db, {
      teamId: ctx.team.teamId,
      runId: input.runId,
      after: input.after,
      limit: input.limit,
    }),
  );
