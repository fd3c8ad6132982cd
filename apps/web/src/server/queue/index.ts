export { type ClaimingAgent, type ClaimResult, claimNextRun, type RejectedRun } from "./claim-next-run";
export { QueueError, type QueueErrorCode } from "./errors";
export { type FinishedRun, type FinishRunInput, finishRun } from "./finish-run";
export { type ExpiredRun, expireLeases, type LeaseRenewal, renewLease } from "./lease";
export { type AppendResult, appendRunEvents, highestContiguousSeq, listRunEventsAfter } from "./run-events";
export { storeArtifact } from "./store-artifact";
