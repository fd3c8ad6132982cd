import type { Prisma } from "@fp4kit/db";

/** The columns every run listing needs, joined with the agent's and queuer's display names. */
export const RUN_VIEW_SELECT = {
  id: true,
  teamId: true,
  kind: true,
  status: true,
  model: true,
  name: true,
  notes: true,
  tags: true,
  archivedAt: true,
  sourcePath: true,
  destPath: true,
  options: true,
  agentId: true,
  retryOfId: true,
  parentRunId: true,
  attempt: true,
  progress: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  cancelRequestedAt: true,
  inputBytes: true,
  outputBytes: true,
  error: true,
  summary: true,
  agent: {
    select: { id: true, name: true, hostname: true, connectedAt: true, lastSeenAt: true, revokedAt: true },
  },
  createdBy: { select: { id: true, name: true } },
} satisfies Prisma.RunSelect;

type RunRow = Prisma.RunGetPayload<{ select: typeof RUN_VIEW_SELECT }>;

/**
 * A run as the API returns it: byte counts as numbers (exact below 2^53 bytes = 9 PB) and the derived
 * figures every page shows, computed once here instead of in each component.
 */
export function toRunView(run: RunRow) {
  const inputBytes = run.inputBytes === null ? null : Number(run.inputBytes);
  const outputBytes = run.outputBytes === null ? null : Number(run.outputBytes);
  const durationMs =
    run.startedAt === null ? null : (run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime();
  const { agent } = run;
  return {
    ...run,
    agent: agent && {
      id: agent.id,
      name: agent.name,
      hostname: agent.hostname,
      // connectedAt is cleared when the agent's socket closes, and by the sweeper after missed
      // heartbeats: a running run whose agent is offline is not live, whatever its status says.
      online: agent.revokedAt === null && agent.connectedAt !== null,
      lastSeenAt: agent.lastSeenAt,
    },
    options: (run.options ?? {}) as Record<string, unknown>,
    summary: (run.summary ?? null) as Record<string, unknown> | null,
    inputBytes,
    outputBytes,
    durationMs,
    compressionRatio: inputBytes && outputBytes ? inputBytes / outputBytes : null,
  };
}
export type RunView = ReturnType<typeof toRunView>;
