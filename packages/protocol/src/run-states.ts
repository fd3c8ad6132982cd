import { type RunStatus, RunStatusSchema } from "./runs.ts";

/**
 * The run state machine: every status change the server makes, named, with the statuses a run may
 * be in before it and those it may be left in. The queue's SQL statements take their from- and
 * to-statuses from this table, so a new state or rule is one edit here.
 *
 * A run changes status only through these transitions, each a single conditional statement (the
 * condition is `from`), so concurrent agents, web instances and sweepers can race on one run and
 * exactly one of them wins.
 */
export const RUN_TRANSITIONS = {
  /** An agent leases the oldest queued run of its team. */
  claim: { from: ["QUEUED"], to: ["RUNNING"] },
  /** A queued run whose stored kind/options fail the protocol schema is failed instead of handed out. */
  reject: { from: ["QUEUED"], to: ["FAILED"] },
  /** A queued run is cancelled at once: no agent holds it. (A running one is asked to stop, then finishes CANCELLED.) */
  cancelQueued: { from: ["QUEUED"], to: ["CANCELLED"] },
  /**
   * The agent reports the job's end. A LOST run still takes its agent's late outcome: the lease can
   * lapse while the outcome is in flight (a long log drains, the server was down).
   */
  finish: { from: ["RUNNING", "LOST"], to: ["SUCCEEDED", "FAILED", "CANCELLED"] },
  /** The sweeper ends a running run whose lease expired: LOST, or CANCELLED when a cancel was requested. */
  expire: { from: ["RUNNING"], to: ["LOST", "CANCELLED"] },
} as const satisfies Record<string, { from: readonly RunStatus[]; to: readonly RunStatus[] }>;

export type RunTransition = keyof typeof RUN_TRANSITIONS;

/** The statuses a run may take through `transition`. */
export type TransitionTarget<T extends RunTransition> = (typeof RUN_TRANSITIONS)[T]["to"][number];

/** The statuses in which a run holds an agent's lease (lease renewal, progress, a running cancel). */
export const LEASED_RUN_STATUSES = ["RUNNING"] as const satisfies readonly RunStatus[];

/** The statuses in which a run waits for or holds an agent: neither finished nor retryable. */
export const ACTIVE_RUN_STATUSES = ["QUEUED", "RUNNING"] as const satisfies readonly RunStatus[];

/** Ended runs, every status but the active ones: shown as finished, may be retried (a new attempt queued), never cancelled. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = RunStatusSchema.options.filter(
  (status) => !(ACTIVE_RUN_STATUSES as readonly RunStatus[]).includes(status),
);
