import type { ArtifactKind } from "@fp4kit/db";
import type { Db } from "../../db";
import { DomainError } from "../errors";

/** One result document of a team's run (inspect report, quality report, shard list). */
export async function findRunArtifact(db: Db, input: { teamId: string; runId: string; kind: ArtifactKind }) {
  const artifact = await db.artifact.findFirst({
    where: { runId: input.runId, kind: input.kind, run: { teamId: input.teamId } },
    select: {
      kind: true,
      json: true,
      markdown: true,
      sizeBytes: true,
      createdAt: true,
      run: { select: { id: true, model: true, kind: true, sourcePath: true } },
    },
  });
  if (!artifact) throw new DomainError("NOT_FOUND", "This run has no such report");
  return artifact;
}
