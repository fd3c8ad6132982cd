import type { RunStatus } from "@fp4kit/protocol";

/** Wall time of a run so far: from start to finish, or to `now` while it runs. */
export function runDurationMs(
  run: { startedAt: Date | null; finishedAt: Date | null; status: RunStatus },
  now: number,
): number | null {
  if (!run.startedAt) return null;
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : run.status === "RUNNING" ? now : null;
  return end === null ? null : end - new Date(run.startedAt).getTime();
}

/** Progress bar colour by status: finished runs keep their final fraction, coloured by outcome. */
export function progressTone(status: RunStatus): "indigo" | "green" | "red" | "gray" | "amber" {
  switch (status) {
    case "SUCCEEDED":
      return "green";
    case "FAILED":
    case "LOST":
      return "red";
    case "CANCELLED":
      return "amber";
    case "QUEUED":
      return "gray";
    default:
      return "indigo";
  }
}
