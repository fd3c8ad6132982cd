import { ArtifactKindSchema } from "@fp4kit/protocol";
import { z } from "zod";
import { findRunArtifact } from "../../../domain/runs/artifacts";
import { teamViewerProcedure } from "../../trpc";

/** A run's report (inspect report, quality report, shard list) as JSON plus its Markdown rendering. */
export const artifact = teamViewerProcedure
  .input(z.object({ runId: z.string().min(1), kind: ArtifactKindSchema }))
  .query(({ ctx, input }) =>
    findRunArtifact(ctx.db, { teamId: ctx.team.teamId, runId: input.runId, kind: input.kind }),
  );
