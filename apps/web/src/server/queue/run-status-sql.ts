import { Prisma } from "@fp4kit/db";
import { RUN_TRANSITIONS, type RunStatus, type RunTransition, type TransitionTarget } from "@fp4kit/protocol";

/**
 * SQL pieces for raw statements that change a run's status. Their from- and to-statuses come from
 * RUN_TRANSITIONS (@fp4kit/protocol), so the table there is the one statement of what may change.
 */

/** A status as an SQL value of the column's enum type (raw statements bind strings as text). */
function statusValue(status: RunStatus): Prisma.Sql {
  return Prisma.sql`${status}::"RunStatus"`;
}

/** `status IN (…)` over the given statuses. */
export function statusIn(statuses: readonly RunStatus[]): Prisma.Sql {
  return Prisma.sql`status IN (${Prisma.join(statuses.map(statusValue))})`;
}

/** The condition a run must meet to take `transition`: its status is one of the transition's from-states. */
export function canTake(transition: RunTransition): Prisma.Sql {
  return statusIn(RUN_TRANSITIONS[transition].from);
}

/** `status` as an SQL value, checked (by type and at run time) to be a target of `transition`. */
export function targetOf<T extends RunTransition>(transition: T, status: TransitionTarget<T>): Prisma.Sql {
  const targets: readonly RunStatus[] = RUN_TRANSITIONS[transition].to;
  if (!targets.includes(status)) throw new Error(`${status} is not a target of the ${transition} transition`);
  return statusValue(status);
}
