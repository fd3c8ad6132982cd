/**
 * Refusals of the run queue. `NOT_HELD` tells an agent that the run is not (or no longer) leased
 * to it, so it must stop working on it; the realtime layer forwards the code in its ack.
 */
export type QueueErrorCode = "NOT_FOUND" | "NOT_HELD";

export class QueueError extends Error {
  constructor(
    readonly code: QueueErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "QueueError";
  }
}
