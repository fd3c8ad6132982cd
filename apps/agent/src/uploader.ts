import { setTimeout as sleep } from "node:timers/promises";
import { AGENT_EVENTS, EmptyReplySchema, RunEventsAckSchema } from "@fp4kit/protocol";
import { type ServerConnection, ServerRefusedError } from "./connection.ts";
import type { Logger } from "./logger.ts";
import type { RunSpool } from "./spool/run-spool.ts";

const BATCH_EVENTS = 500;
/** Well under the server's message limit even with long lines. */
const BATCH_BYTES = 512 * 1024;
const IDLE_RECHECK_MS = 5_000;

/**
 * Drains one run's spool to the server, in order: events (resent from the last acknowledged seq
 * until acknowledged), then artifacts, then the outcome. One request in flight at a time, so the
 * server sees each run's events in seq order. Survives disconnects (waits for the next session)
 * and restarts (the spool remembers what was acknowledged).
 */
export class RunUploader {
  private readonly wakeups = new Wakeup();
  private stopped = false;
  /** Resolves when everything, outcome included, is acknowledged (or the server refused the run). */
  readonly finished: Promise<void>;

  constructor(
    private readonly run: RunSpool,
    private readonly connection: ServerConnection,
    private readonly log: Logger,
  ) {
    this.finished = this.loop();
  }

  /** New events, an artifact or the outcome were spooled. */
  wake(): void {
    this.wakeups.notify();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.connection.ready) {
        await Promise.race([this.connection.whenReady(), this.wakeups.wait(IDLE_RECHECK_MS)]);
        continue;
      }
      try {
        if (await this.step()) return;
      } catch (err) {
        if (err instanceof ServerRefusedError && (err.code === "NOT_HELD" || err.code === "NOT_FOUND")) {
          // The server keeps nothing more of this run (lost and retried elsewhere, or deleted).
          this.log.warn(
            `run ${this.run.runId}: the server no longer accepts its uploads (${err.message}); dropping the rest`,
          );
          return;
        }
        this.log.warn(`run ${this.run.runId}: upload failed (${(err as Error).message}); retrying`);
        await sleep(err instanceof ServerRefusedError ? 30_000 : 1_000);
      }
    }
  }

  /** Sends the next thing; true when the run is completely delivered. */
  private async step(): Promise<boolean> {
    const run = this.run;
    if (run.ackedSeq < run.lastSeq) {
      const events = run.readBatch(run.ackedSeq, BATCH_EVENTS, BATCH_BYTES);
      run.sync();
      const before = run.ackedSeq;
      const { ackedSeq } = await this.connection.request(
        AGENT_EVENTS.events,
        { runId: run.runId, events },
        RunEventsAckSchema,
      );
      // The server's word is the truth: a lower ack means it lacks events we thought delivered.
      run.setAcked(ackedSeq);
      if (ackedSeq <= before) await sleep(1_000);
      return false;
    }
    const artifacts = run.pendingArtifacts();
    if (artifacts.length > 0) {
      for (const artifact of artifacts) {
        try {
          await this.connection.request(
            AGENT_EVENTS.artifact,
            { runId: run.runId, ...artifact },
            EmptyReplySchema,
          );
        } catch (err) {
          // A document the server will never take (a schema it reads differently) must not hold up the run.
          if (!(err instanceof ServerRefusedError && err.code === "INVALID_PAYLOAD")) throw err;
          this.log.warn(
            `run ${run.runId}: the server refused its ${artifact.kind} (${err.message}); not resending it`,
          );
        }
        run.removeArtifact(artifact.kind);
      }
      return false;
    }
    const outcome = run.outcome();
    if (outcome?.type === "finish") {
      try {
        await this.connection.request(AGENT_EVENTS.finish, outcome.finish, EmptyReplySchema);
      } catch (err) {
        // A summary the server reads differently must not keep the run from ending: without it.
        if (
          !(
            err instanceof ServerRefusedError &&
            err.code === "INVALID_PAYLOAD" &&
            outcome.finish.summary !== null
          )
        )
          throw err;
        this.log.warn(
          `run ${run.runId}: the server refused its summary (${err.message}); finishing without it`,
        );
        await this.connection.request(
          AGENT_EVENTS.finish,
          { ...outcome.finish, summary: null },
          EmptyReplySchema,
        );
      }
      return true;
    }
    if (outcome?.type === "abandon") return true;
    await this.wakeups.wait(IDLE_RECHECK_MS);
    return false;
  }
}

/** A wake-up call that is not lost when it comes while nobody waits. */
class Wakeup {
  private pending = false;
  private waiter: (() => void) | null = null;

  notify(): void {
    if (this.waiter) this.waiter();
    else this.pending = true;
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiter = done;
    });
  }
}
