import type { Db } from "../db";
import { expireLeases } from "../queue";
import { markSilentAgentsOffline } from "./agent-presence";
import type { Broadcasts } from "./broadcasts";
import type { Logger } from "./logger";
import type { RealtimeTiming } from "./timing";

export interface Sweeper {
  /** One pass: mark silent agents offline and, after the grace period, expire leases (→ LOST/CANCELLED). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs on every web instance. Each pass is two single-statement UPDATEs whose RETURNING lists only
 * the rows this instance changed, so concurrent sweepers never double-report a change.
 */
export function startSweeper(deps: {
  db: Db;
  timing: RealtimeTiming;
  broadcasts: Broadcasts;
  log: Logger;
}): Sweeper {
  const { db, timing, broadcasts, log } = deps;
  let running: Promise<void> | null = null;
  /** Since when passes succeed without a break (see RealtimeTiming.leaseGraceSeconds). */
  let reachableSince: number | null = Date.now();

  const sweep = async () => {
    try {
      for (const offline of await markSilentAgentsOffline(db, timing.offlineAfterSeconds)) {
        broadcasts.agentStatus(offline.teamId, offline.update);
      }
      reachableSince ??= Date.now();
      if (Date.now() - reachableSince >= timing.leaseGraceSeconds * 1_000) {
        broadcasts.runStatuses(await expireLeases(db));
      }
    } catch (err) {
      reachableSince = null;
      throw err;
    }
  };

  const tick = () => {
    if (running) return; // a slow pass (database under load) is not stacked
    running = sweep()
      .catch((err: unknown) => log.error("[realtime] sweep failed", err))
      .finally(() => {
        running = null;
      });
  };

  const timer = setInterval(tick, timing.sweepIntervalMs);
  timer.unref();

  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
