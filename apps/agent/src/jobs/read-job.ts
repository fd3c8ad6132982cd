import { type Job, JobSchema } from "@fp4kit/protocol";
import { z } from "zod";

/**
 * A claimed job as this agent runs it: checked against the protocol's JobSchema, so its options
 * have their defaults and pass the same rules as the web form and the CLI; `problem` says why not.
 */
export function readJob(payload: unknown): { job: Job } | { problem: string } {
  const parsed = JobSchema.safeParse(payload);
  return parsed.success ? { job: parsed.data } : { problem: z.prettifyError(parsed.error) };
}
