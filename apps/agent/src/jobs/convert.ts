import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import { engineFormat } from "@fp4kit/protocol";
import { releaseDestinationLock } from "@fp4kit/quant";
import { type JobContext, type JobResult, JobStoppedError, type StopReason } from "./context.ts";
import type { ConvertControlMessage, ConvertWorkerInput, ConvertWorkerMessage } from "./convert-messages.ts";

/**
 * CONVERT (Path A): @fp4kit/quant's streaming converter in a worker thread, so the agent's event
 * loop (heartbeats, lease renewal, uploads) never waits on it. The converter keeps complete output
 * shards, so a convert re-run into the same destination (after an agent restart or a retry on the
 * same host) resumes. A stop asks the worker to abort: the converter reports "stopped" once none
 * of its kernel calls is in flight, and the thread is ended. One that has not stopped after
 * `stopGraceMs` is terminated mid-call, which @fp4kit/quant's native kernels survive. A thread
 * ended that way cannot release the destination's lock, and this process (the lock's holder) goes
 * on, so the lock would refuse a re-run until it went stale: the job gives the conversion its lock
 * token and, once the thread is gone, frees the lock carrying that token before the job ends.
 */
export function runConvert(
  ctx: JobContext,
  options: { calibrationFile: string | null; stopGraceMs: number },
): Promise<JobResult> {
  const job = ctx.job;
  if (job.kind !== "CONVERT" || !ctx.paths.dest)
    throw new Error("runConvert needs a CONVERT job with a destination");
  const input: ConvertWorkerInput = {
    source: ctx.paths.source,
    dest: ctx.paths.dest,
    options: job.options,
    calibrationFile: options.calibrationFile,
    lockToken: randomUUID(),
  };
  ctx.system(
    `converting ${input.source} → ${input.dest} (${engineFormat(job.options.engine, job.options.format)} for ${job.options.engine})`,
  );
  const worker = new Worker(new URL("./convert-worker.mjs", import.meta.url), { workerData: input });

  return new Promise<JobResult>((resolve, reject) => {
    let settled = false;
    // The job ends only once the thread is gone and the lock freed, so a re-run queued right
    // after a cancel finds the destination free.
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      ctx.signal.removeEventListener("abort", onAbort);
      void worker
        .terminate()
        .then(() => releaseDestinationLock(input.dest, input.lockToken))
        .catch((err: Error) => ctx.system(`could not free the destination lock: ${err.message}`))
        .finally(fn);
    };
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      worker.postMessage({ type: "abort" } satisfies ConvertControlMessage);
      killTimer = setTimeout(() => {
        ctx.system(`the converter did not stop within ${options.stopGraceMs} ms; terminating its thread`);
        settle(() => reject(new JobStoppedError(ctx.signal.reason as StopReason)));
      }, options.stopGraceMs);
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });

    worker.on("message", (message: ConvertWorkerMessage) => {
      switch (message.type) {
        case "log":
          return ctx.log(message.line);
        case "progress":
          return ctx.metric(message.values);
        case "done":
          ctx.artifact("QUALITY_REPORT", message.quality, message.qualityMarkdown);
          ctx.artifact("SHARD_LIST", message.shards, null);
          return settle(() =>
            resolve({
              inputBytes: message.inputBytes,
              outputBytes: message.outputBytes,
              summary: message.summary,
            }),
          );
        case "stopped":
          return settle(() => reject(new JobStoppedError(ctx.signal.reason as StopReason)));
        case "error":
          return settle(() => reject(new Error(message.message)));
      }
    });
    worker.on("error", (err) => settle(() => reject(new Error(`converter thread crashed: ${err.message}`))));
    worker.on("exit", (code) =>
      settle(() => reject(new Error(`converter thread exited unexpectedly (code ${code})`))),
    );
  });
}
