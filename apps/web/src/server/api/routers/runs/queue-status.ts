import { z } from "zod";
import { queueStatus } from "../../../domain/runs/queue-status";
import { teamViewerProcedure } from "../../trpc";

/** A queued run's place in the queue, the agents that may take it, and why it waits. */
export const queue = teamViewerProcedure
  .input(z.object({ runId: z.string().min(1) }))
  .query(({ ctx, input }) => queueStatus(ctx.db, { teamId: ctx.team.teamId, runId: input.runId }));
