import type { Job } from "@fp4kit/protocol";

const RULE = "────────";

/**
 * The log line that sets a job's starts apart after an agent restart: what the new start does
 * (a conversion resumes from its complete shards; every other job starts over) and that the lines
 * above it belong to the previous start.
 */
export function restartNote(job: Job, start: number): string {
  const what =
    job.kind === "CONVERT"
      ? "the conversion resumes from the shards already complete"
      : `the ${job.kind.toLowerCase()} job restarted from the beginning`;
  return `${RULE} agent restarted: start ${start} of this run, ${what}; the lines above are from start ${start - 1} ${RULE}`;
}
