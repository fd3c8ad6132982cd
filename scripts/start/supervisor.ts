import { setTimeout as sleep } from "node:timers/promises";
import type { ExitStatus, ManagedChild } from "./child-process.ts";

export type Backoff = {
  /** Delay before the first restart; each quick exit after it doubles the delay. */
  firstMs: number;
  maxMs: number;
  /** A child that ran this long before exiting is restarted after `firstMs` again. */
  resetAfterMs: number;
};

export const DEFAULT_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export type SupervisedChild = {
  /** The child running now (undefined while waiting to restart or after giving up). */
  readonly current: ManagedChild | undefined;
  /** No more restarts; stops the running child (ManagedChild.stop). */
  stop(): Promise<void>;
  /** No more restarts; SIGKILL to the running child's process group, now. */
  kill(): void;
};

export const describeExit = ({ code, signal }: ExitStatus) => signal ?? `exit code ${code}`;

/**
 * Keeps a child running: when it exits without being asked to, it is started again after a delay
 * that doubles with each exit in a row (a child crashing at start-up does not spin), and each exit
 * and restart is said. `giveUp` names the exits a restart cannot fix (the child's configuration is
 * refused): then the supervision ends with its reason.
 */
export function supervise(options: {
  /** What the child is, in messages ("the local agent"). */
  name: string;
  start: () => ManagedChild;
  say: (message: string) => void;
  giveUp?: (status: ExitStatus) => string | undefined;
  backoff?: Backoff;
}): SupervisedChild {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let current: ManagedChild | undefined;
  let stopped = false;
  let wakeUp: AbortController | undefined;

  const loop = async () => {
    let delay = backoff.firstMs;
    for (let restarts = 0; !stopped; restarts++) {
      const startedAt = Date.now();
      const child = options.start();
      current = child;
      if (restarts > 0) options.say(`${options.name} restarted (pid ${child.pid})`);
      const status = await child.exited;
      current = undefined;
      if (stopped) return;
      const reason = options.giveUp?.(status);
      if (reason !== undefined) {
        options.say(`${options.name} exited (${describeExit(status)}): ${reason}; not restarting it`);
        return;
      }
      if (Date.now() - startedAt >= backoff.resetAfterMs) delay = backoff.firstMs;
      options.say(`${options.name} exited (${describeExit(status)}); restarting it in ${formatDelay(delay)}`);
      wakeUp = new AbortController();
      await sleep(delay, undefined, { signal: wakeUp.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, backoff.maxMs);
    }
  };
  void loop();

  const end = () => {
    stopped = true;
    wakeUp?.abort();
  };
  return {
    get current() {
      return current;
    },
    async stop() {
      end();
      await current?.stop();
    },
    kill() {
      end();
      current?.kill();
    },
  };
}

function formatDelay(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`;
}
