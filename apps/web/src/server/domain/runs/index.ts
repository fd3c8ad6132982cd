/** Queueing runs and reading them back, for the other workspaces' tests. */
export { createRun } from "./create-run";
export { findTeamRun } from "./get-run";
