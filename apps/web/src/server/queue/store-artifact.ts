import type { Prisma } from "@fp4kit/db";
import { type ArtifactKind, runDocumentProblem } from "@fp4kit/protocol";
import type { Db } from "../db";
import { notLeasedToAgent, QueueError } from "./errors";
import { finishableBy } from "./finish-run";

/**
 * Stores (or replaces: one per kind) a result document of a run the agent holds or may still finish. Replacing keeps
 * an upload that is resent after a lost ack idempotent. A document that does not follow its run kind's schema
 * (@fp4kit/protocol's RUN_DOCUMENTS) is refused, so pages only ever read documents they understand.
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
    select: { agentId: true, status: true, kind: true },
  });
  if (!run || run.agentId !== input.agentId) throw notLeasedToAgent(input.runId);
  const problem = runDocumentProblem(run.kind, input.kind, input.json);
  if (problem !== null) throw new QueueError("INVALID_PAYLOAD", `run ${input.runId}: ${problem}`);
  // The artifacts come just before the finish, so they are accepted from the same agents.
  const finishable = await db.run.count({ where: finishableBy(input.runId, input.agentId) });
  if (finishable === 0) {
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
