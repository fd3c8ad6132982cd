import { RunKindSchema, RunStatusSchema } from "@fp4kit/protocol";
import { z } from "zod";
import { listRuns } from "../../../domain/runs/list-runs";
import { teamViewerProcedure } from "../../trpc";

export const list = teamViewerProcedure
  .input(
    z.object({
      statuses: z.array(RunStatusSchema).optional(),
      kinds: z.array(RunKindSchema).optional(),
      agentId: z.string().min(1).optional(),
      limit: z.number().int().min(1).max(200).default(50),
      cursor: z.string().min(1).nullish(),
    }),
  )
  .query(({ ctx, input }) =>
    listRuns(ctx.db, {
      teamId: ctx.team.teamId,
      filters: { statuses: input.statuses, kinds: input.kinds, agentId: input.agentId },
      limit: input.limit,
      cursor: input.cursor ?? undefined,
    }),
  );
