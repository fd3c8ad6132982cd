import type { Prisma } from "@fp4kit/db";
import type { ArtifactKind } from "@fp4kit/protocol";
import type { Db } from "../db";
import { QueueError } from "./errors";

/**
 * Stores (or replaces: one per kind) a result document of a run the agent holds. Replacing keeps
 * an upload that is resent after a lost ack idempotent.
 */
export async function storeArtifact(
  db: Db,
  input: {
    runId: string;
    agentId: string;
    kind: ArtifactKind;
    json: Prisma.InputJsonValue;
    markdown: string | null;
  },
): Promise<{ sizeBytes: number }> {
  const run = await db.run.findUnique({
    where: { id: input.runId },
    select: { agentId: true, status: true },
  });
  if (!run) throw new QueueError("NOT_FOUND", `run ${input.runId} does not exist`);
  if (run.agentId !== input.agentId || run.status !== "RUNNING") {
    throw new QueueError("NOT_HELD", `run ${input.runId} is ${run.status} and not leased to this agent`);
  }
  const sizeBytes = Buffer.byteLength(JSON.stringify(input.json)) + Buffer.byteLength(input.markdown ?? "");
  const fields = { json: input.json, markdown: input.markdown, sizeBytes };
  await db.artifact.upsert({
    where: { runId_kind: { runId: input.runId, kind: input.kind } },
    create: { runId: input.runId, kind: input.kind, ...fields },
    update: fields,
  });
  return { sizeBytes };
}
