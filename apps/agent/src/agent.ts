import { AGENT_EVENTS, EmptyReplySchema, type Job, RenewLeaseReplySchema } from "@fp4kit/protocol";
import { z } from "zod";
import { probeCapabilities } from "./capabilities.ts";
import type { AgentConfig } from "./config.ts";
import { ServerConnection, ServerRefusedError } from "./connection.ts";
import type { StopReason } from "./jobs/context.ts";
import { readJob } from "./jobs/read-job.ts";
import { restartNote } from "./jobs/restart-note.ts";
import { executeJob } from "./jobs/run-job.ts";
import type { Logger } from "./logger.ts";
import { outputFolder } from "./output-folder.ts";
import { PathGuard } from "./path-guard.ts";
import { JobProcesses } from "./process/job-processes.ts";
import type { RunSpool } from "./spool/run-spool.ts";
import { Spool } from "./spool/spool.ts";
import { RunUploader } from "./uploader.ts";

/** The claim reply, with the job checked separately so that a malformed job can be refused by id. */
const ClaimEnvelopeSchema = z.object({ job: z.unknown() });

interface ActiveRun {
  spool: RunSpool;
  uploader: RunUploader;
  /** Present while the job runs. */
  execution: { controller: AbortController; done: Promise<void> } | null;
}

/**
 * The daemon: connects, resumes what a previous process left in the spool, claims runs up to
 * `maxConcurrentJobs`, keeps their leases, runs them, and uploads everything they produce.
 */
export class Agent {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly connection: ServerConnection;
  private claiming = false;
  private stopping = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private hasGpus = false;
  private readonly stoppedBecause: Promise<string>;
  private resolveStopped: (reason: string) => void = () => {};

  private constructor(
    private readonly config: AgentConfig,
    private readonly guard: PathGuard,
    private readonly spool: Spool,
    private readonly log: Logger,
  ) {
    this.connection = new ServerConnection({
      server: config.server,
      token: config.token,
      log,
      probeCapabilities: async () => {
        const capabilities = await probeCapabilities({ roots: guard.roots, python: config.python });
        this.hasGpus = capabilities.gpus.length > 0;
        return capabilities;
      },
      outputFolder: (request) => outputFolder(guard, request),
    });
    this.stoppedBecause = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  static async create(config: AgentConfig, log: Logger): Promise<Agent> {
    const guard = await PathGuard.create(config.roots);
    return new Agent(config, guard, new Spool(config.spoolDir, config.spoolRetentionDays), log);
  }

  /** Resolves with the reason when the agent stops for good (revoked token, stop()). */
  get stopped(): Promise<string> {
    return this.stoppedBecause;
  }

  async start(): Promise<void> {
    this.spool.pruneDone();
    const unreadable = (runId: string, err: Error) =>
      this.log.error(
        `run ${runId}: spool folder unreadable (${err.message}); moved aside, its run will end LOST`,
      );
    for (const spool of this.spool.openUnfinished(unreadable)) {
      const leftover = spool.process();
      if (leftover) {
        const processes = JobProcesses.adopt(leftover);
        const killed = await processes.kill();
        processes.release();
        if (killed) {
          this.log.warn(`run ${spool.runId}: killed the job processes left by the previous agent process`);
        }
      }
      spool.setProcess(null);
      this.track(spool);
      this.log.info(
        `run ${spool.runId}: found in the spool (${spool.lastSeq - spool.ackedSeq} events not yet acknowledged)`,
      );
    }
    this.connection.on("ready", () => void this.onReady());
    this.connection.on("available", () => void this.claimLoop());
    this.connection.on("cancel", (runId) => this.stopJob(runId, "cancel"));
    this.connection.on("rejected", (reason) => {
      this.log.error(reason);
      void this.stop(reason);
    });
    this.pollTimer = setInterval(() => void this.claimLoop(), this.config.claimPollSeconds * 1_000);
    this.pollTimer.unref();
    this.connection.start();
  }

  /** Stops jobs (their runs stay in the spool to resume), flushes uploads briefly, disconnects. */
  async stop(reason = "stopped"): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    const runs = [...this.runs.values()];
    for (const run of runs) run.execution?.controller.abort("shutdown" satisfies StopReason);
    await Promise.all(runs.map((r) => r.execution?.done));
    await Promise.race([
      Promise.all(runs.map((r) => r.uploader.finished)),
      new Promise((r) => setTimeout(r, 3_000)),
    ]);
    for (const run of this.runs.values()) run.uploader.stop();
    this.connection.stop();
    this.resolveStopped(reason);
  }

  private get runningJobs(): number {
    return [...this.runs.values()].filter((r) => r.execution).length;
  }

  private async onReady(): Promise<void> {
    await this.resumeSpooledRuns();
    await this.claimLoop();
  }

  /**
   * Runs the previous agent process left unfinished: continue those whose lease still holds (a
   * convert resumes from its complete shards); give up the others, still uploading their events.
   */
  private async resumeSpooledRuns(): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.execution || run.spool.outcome() || this.stopping) continue;
      try {
        const lease = await this.connection.request(
          AGENT_EVENTS.renew,
          { runId: run.spool.runId },
          RenewLeaseReplySchema,
        );
        if (lease.held && !lease.cancelRequested) {
          this.execute(run);
          continue;
        }
        const why = lease.held
          ? "cancelled while the agent was down"
          : "its lease expired while the agent was down";
        run.spool.append({ type: "log", stream: "SYSTEM", line: `not resuming: ${why}` });
        run.spool.setOutcome(
          lease.held
            ? {
                type: "finish",
                finish: {
                  runId: run.spool.runId,
                  status: "CANCELLED",
                  error: why,
                  inputBytes: null,
                  outputBytes: null,
                  summary: null,
                },
              }
            : { type: "abandon", reason: why },
        );
        run.uploader.wake();
      } catch (err) {
        if (err instanceof ServerRefusedError) {
          run.spool.setOutcome({ type: "abandon", reason: err.message });
          run.uploader.wake();
        }
        // Unreachable: try again at the next session.
      }
    }
  }

  private async claimLoop(): Promise<void> {
    if (this.claiming || this.stopping) return;
    this.claiming = true;
    try {
      while (!this.stopping && this.connection.ready && this.runningJobs < this.config.maxConcurrentJobs) {
        const { job } = await this.connection.request(AGENT_EVENTS.claim, {}, ClaimEnvelopeSchema);
        if (job === null || job === undefined) break;
        const read = readJob(job);
        if ("job" in read) this.startJob(read.job);
        else await this.refuseMalformedJob(job, read.problem);
      }
    } catch (err) {
      this.log.warn(`claiming a run failed: ${(err as Error).message}`);
    } finally {
      this.claiming = false;
    }
  }

  /** A job this agent cannot even read: fail its run with the reason, run nothing. */
  private async refuseMalformedJob(job: unknown, problem: string): Promise<void> {
    const runId = typeof job === "object" && job && "runId" in job ? String(job.runId) : null;
    this.log.error(`refusing a malformed job${runId ? ` (run ${runId})` : ""}: ${problem}`);
    if (!runId) return;
    await this.connection.request(
      AGENT_EVENTS.finish,
      {
        runId,
        status: "FAILED",
        error: `the agent refused the job payload: ${problem}`,
        inputBytes: null,
        outputBytes: null,
        summary: null,
      },
      EmptyReplySchema,
    );
  }

  private startJob(job: Job): void {
    const spool = this.spool.create(job);
    spool.append({ type: "log", stream: "SYSTEM", line: `claimed ${job.kind} run (attempt ${job.attempt})` });
    this.execute(this.track(spool));
  }

  private track(spool: RunSpool): ActiveRun {
    const uploader = new RunUploader(spool, this.connection, this.log);
    const run: ActiveRun = { spool, uploader, execution: null };
    this.runs.set(spool.runId, run);
    // The lease covers the upload too: a long log may drain well after the job exited, and the
    // run is not over for the server until its finish is accepted.
    const stopLease = this.keepLease(spool);
    void uploader.finished
      .finally(stopLease)
      .then(async () => {
        // Delivered, or refused by the server (the run is no longer ours): nothing left to do here.
        this.stopJob(spool.runId, "lease-lost");
        await run.execution?.done;
        this.runs.delete(spool.runId);
        this.spool.markDone(spool);
      })
      .catch((err: unknown) =>
        this.log.error(`run ${spool.runId}: closing its spool failed: ${(err as Error).message}`),
      );
    return run;
  }

  private execute(run: ActiveRun): void {
    const start = run.spool.recordStart();
    if (start > 1)
      run.spool.append({ type: "log", stream: "SYSTEM", line: restartNote(run.spool.job, start) });
    const controller = new AbortController();
    const done = executeJob(run.spool, controller.signal, {
      config: this.config,
      guard: this.guard,
      log: this.log,
      hasGpus: this.hasGpus,
      onAppend: () => run.uploader.wake(),
    })
      .then((outcome) => {
        if (outcome) run.spool.setOutcome(outcome);
      })
      .catch((err: unknown) => this.log.error(`run ${run.spool.runId}: ${(err as Error).stack ?? err}`))
      .finally(() => {
        run.execution = null;
        run.uploader.wake();
        if (this.stopping) run.uploader.stop();
        else void this.claimLoop();
      });
    run.execution = { controller, done };
  }

  private stopJob(runId: string, reason: StopReason): void {
    const execution = this.runs.get(runId)?.execution;
    if (execution && !execution.controller.signal.aborted) {
      this.log.info(`run ${runId}: stopping (${reason})`);
      execution.controller.abort(reason);
    }
  }

  /**
   * Renews the run's lease every third of its length and at every new session, from the claim
   * until the finish is accepted; stops the job (if it still runs) when the lease is gone or a
   * cancel is asked.
   */
  private keepLease(spool: RunSpool): () => void {
    const renew = async () => {
      try {
        const lease = await this.connection.request(
          AGENT_EVENTS.renew,
          { runId: spool.runId },
          RenewLeaseReplySchema,
        );
        if (!lease.held) this.stopJob(spool.runId, "lease-lost");
        else if (lease.cancelRequested) this.stopJob(spool.runId, "cancel");
      } catch (err) {
        if (err instanceof ServerRefusedError && err.code === "NOT_FOUND")
          this.stopJob(spool.runId, "lease-lost");
        // Unreachable: keep working; the next renewal after reconnecting tells whether the lease held.
      }
    };
    const timer = setInterval(() => void renew(), (spool.job.leaseSeconds * 1_000) / 3);
    timer.unref();
    const onReady = () => void renew();
    this.connection.on("ready", onReady);
    return () => {
      clearInterval(timer);
      this.connection.off("ready", onReady);
    };
  }
}
