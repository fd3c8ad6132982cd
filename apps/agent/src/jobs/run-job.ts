import { type RunFinish, runSummaryProblem } from "@fp4kit/protocol";
import type { AgentConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { sampleGpus } from "../metrics/gpu-sampler.ts";
import { type PathGuard, PathRefusedError } from "../path-guard.ts";
import type { RunOutcome, RunSpool } from "../spool/run-spool.ts";
import { JobContext, type JobRunner, JobStoppedError } from "./context.ts";
import { type JobPaths, resolveJobPaths } from "./resolve-paths.ts";

export interface ExecuteDeps {
  config: AgentConfig;
  guard: PathGuard;
  log: Logger;
  hasGpus: boolean;
  /** Called after anything was spooled (wakes the uploader). */
  onAppend: () => void;
}

/** Loaded on demand: a verify job never loads the converter, and a broken kind breaks only itself. */
async function runnerFor(spool: RunSpool, paths: JobPaths, config: AgentConfig): Promise<JobRunner> {
  const job = spool.job;
  switch (job.kind) {
    case "INSPECT":
      return (await import("./inspect.ts")).runInspect;
    case "CONVERT": {
      const { runConvert } = await import("./convert.ts");
      return (ctx) =>
        runConvert(ctx, { calibrationFile: paths.reference, stopGraceMs: config.cancelGrace.interruptMs });
    }
    case "CALIBRATE":
    case "VERIFY":
      return (await import("./python.ts")).createPythonRunner(job.kind, {
        python: config.python,
        cgroups: config.jobCgroups,
        scripts: config.scripts,
        grace: config.cancelGrace,
        reference: paths.reference,
        dataset: paths.dataset,
      });
  }
}

/**
 * Runs a spooled job to its outcome: confines its paths, runs the runner of its kind, and maps
 * the ending to what the server is told. Returns null when the agent is shutting down: the run
 * stays unfinished in the spool and is resumed by the next agent process if its lease still holds.
 */
export async function executeJob(
  spool: RunSpool,
  signal: AbortSignal,
  deps: ExecuteDeps,
): Promise<RunOutcome | null> {
  const job = spool.job;
  const finish = (
    status: RunFinish["status"],
    error: string | null,
    result?: Partial<RunFinish>,
  ): RunOutcome => ({
    type: "finish",
    finish: {
      runId: job.runId,
      status,
      error,
      inputBytes: result?.inputBytes ?? null,
      outputBytes: result?.outputBytes ?? null,
      summary: result?.summary ?? null,
    },
  });

  let ctx: JobContext | null = null;
  let stopSampling = () => {};
  try {
    const paths = await resolveJobPaths(job, deps.guard);
    ctx = new JobContext(spool, paths, signal, {
      metricIntervalMs: deps.config.metricIntervalMs,
      onAppend: deps.onAppend,
    });
    if (deps.hasGpus) stopSampling = sampleGpus(ctx, 5_000);
    const runner = await runnerFor(spool, paths, deps.config);
    const result = await runner(ctx);
    stopSampling();
    ctx.flush();
    // A summary the server would refuse is left out rather than holding up the outcome.
    const summaryProblem = result.summary === null ? null : runSummaryProblem(job.kind, result.summary);
    if (summaryProblem !== null) ctx.system(`not sending the summary: ${summaryProblem}`);
    ctx.system(`${job.kind.toLowerCase()} succeeded`);
    return finish("SUCCEEDED", null, summaryProblem === null ? result : { ...result, summary: null });
  } catch (err) {
    stopSampling();
    ctx?.flush();
    const note = (line: string) => {
      spool.append({ type: "log", stream: "SYSTEM", line });
      deps.onAppend();
    };
    if (err instanceof JobStoppedError || signal.aborted) {
      const reason = err instanceof JobStoppedError ? err.reason : signal.reason;
      if (reason === "cancel") {
        note("cancelled at the user's request");
        return finish("CANCELLED", "cancelled at the user's request");
      }
      if (reason === "lease-lost") {
        note("stopped: the server no longer leases this run to this agent (it was marked lost)");
        return { type: "abandon", reason: "lease lost" };
      }
      note(
        "stopped: the agent is shutting down; the run resumes when it restarts (if its lease still holds)",
      );
      return null;
    }
    const message = err instanceof PathRefusedError ? `refused: ${err.message}` : (err as Error).message;
    note(message);
    deps.log.warn(`run ${job.runId} failed: ${message}`);
    return finish("FAILED", message);
  }
}
