import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Job } from "@fp4kit/protocol";
import { RunSpool } from "./run-spool.ts";

/**
 * The agent's spool folder: `runs/<runId>/` for runs not yet fully acknowledged by the server,
 * `done/<runId>/` for finished ones (kept `retentionDays` for inspection, then deleted).
 */
export class Spool {
  constructor(
    readonly dir: string,
    private readonly retentionDays: number,
  ) {
    mkdirSync(join(dir, "runs"), { recursive: true });
    mkdirSync(join(dir, "done"), { recursive: true });
  }

  create(job: Job): RunSpool {
    const dir = this.runDir(job.runId);
    if (existsSync(dir)) throw new Error(`run ${job.runId} is already in the spool at ${dir}`);
    return RunSpool.create(dir, job);
  }

  /**
   * Runs left by a previous agent process (crashed, stopped or cut off before everything was
   * acknowledged). A folder that cannot be read (a crash while it was being created) is moved to
   * done/<runId>.unreadable and reported, so that one bad folder never keeps the agent from starting.
   */
  openUnfinished(onUnreadable: (runId: string, error: Error) => void): RunSpool[] {
    const runs: RunSpool[] = [];
    for (const runId of readdirSync(join(this.dir, "runs"))) {
      try {
        runs.push(RunSpool.open(this.runDir(runId)));
      } catch (err) {
        onUnreadable(runId, err as Error);
        renameSync(join(this.dir, "runs", runId), join(this.dir, "done", `${runId}.unreadable`));
      }
    }
    return runs;
  }

  has(runId: string): boolean {
    return existsSync(this.runDir(runId));
  }

  /** Moves a fully acknowledged run to done/. */
  markDone(run: RunSpool): void {
    run.close();
    const target = join(this.dir, "done", run.runId);
    rmSync(target, { recursive: true, force: true });
    renameSync(run.dir, target);
  }

  pruneDone(now = Date.now()): void {
    const cutoff = now - this.retentionDays * 86_400_000;
    for (const runId of readdirSync(join(this.dir, "done"))) {
      const dir = join(this.dir, "done", runId);
      if (statSync(dir).mtimeMs < cutoff) rmSync(dir, { recursive: true, force: true });
    }
  }

  private runDir(runId: string): string {
    // Run ids come from the server (cuid): refuse anything that could name another folder.
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new Error(`refusing to spool run id "${runId}"`);
    return join(this.dir, "runs", runId);
  }
}
