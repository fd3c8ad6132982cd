import type { ApiRun } from "@fp4kit/protocol";
import type { RunView } from "../domain/runs/run-view";

/** A run in the API's shape (ApiRunSchema). */
export function toApiRun(run: RunView, url: string): ApiRun {
  return {
    id: run.id,
    name: run.name,
    model: run.model,
    kind: run.kind,
    status: run.status,
    progress: run.status === "SUCCEEDED" ? 1 : run.progress,
    sourcePath: run.sourcePath,
    destPath: run.destPath,
    options: run.options,
    agent: run.agent ? { id: run.agent.id, name: run.agent.name } : null,
    tags: run.tags,
    attempt: run.attempt,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    cancelRequested: run.cancelRequestedAt !== null,
    inputBytes: run.inputBytes,
    outputBytes: run.outputBytes,
    error: run.error,
    url,
  };
}
