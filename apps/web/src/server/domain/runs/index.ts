/** Queueing runs and reading them back, for the other workspaces' tests. */
export { createRun } from "./create-run";
export { findTeamRun } from "./get-run";
export { RECONNECT_GRACE_MS } from "./run-agents";
