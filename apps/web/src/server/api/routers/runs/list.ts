import { z } from "zod";
import { RunListQuerySchema } from "../../../../lib/run-query";
import { listRuns } from "../../../domain/runs/list-runs";
import { teamViewerProcedure } from "../../trpc";

export const list = teamViewerProcedure
  .input(
    RunListQuerySchema.extend({
      limit: z.number().int().min(1).max(200).default(50),
      cursor: z.number().int().nonnegative().nullish(),
    }),
  )
  .query(({ ctx, input: { limit, cursor, teamId: _teamId, ...query } }) =>
    listRuns(ctx.db, { teamId: ctx.team.teamId, query, limit, cursor: cursor ?? undefined }),
  );
