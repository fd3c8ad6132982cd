import { z } from "zod";
import { setRunsArchived } from "../../../domain/runs/run-details";
import { teamMemberProcedure } from "../../trpc";

/** Archive (hide from listings) or restore finished runs. */
export const archive = teamMemberProcedure
  .input(z.object({ runIds: z.array(z.string().min(1)).min(1).max(200), archived: z.boolean() }))
  .mutation(({ ctx, input }) =>
    setRunsArchived(ctx.db, { teamId: ctx.team.teamId, runIds: input.runIds, archived: input.archived }),
  );
