/**
 * Refusals of the run queue. `NOT_HELD` tells an agent that the run is not (or no longer) leased
 * to it, so it must stop working on it; `INVALID_PAYLOAD`, that what it sent does not follow its
 * contract. The realtime layer forwards the code in its ack.
 */
export type QueueErrorCode = "NOT_HELD" | "INVALID_PAYLOAD";

export class QueueError extends Error {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "QueueError";
  }
}

/**
 * The one refusal for a run that is not this agent's: the same code and words whether it does not
 * exist or belongs to another agent (of this team or another), so an agent learns nothing about
 * runs it was never given, not even that they exist.
 */
export function notLeasedToAgent(runId: string): QueueError {
  return new QueueError("NOT_HELD", `run ${runId} is not leased to this agent`);
}
