export { Agent } from "./agent.ts";
export { probeCapabilities } from "./capabilities.ts";
export { type AgentConfig, AgentConfigSchema, loadConfig } from "./config.ts";
export { PYTHON_SCRIPTS } from "./jobs/python.ts";
export { readJob } from "./jobs/read-job.ts";
export { PathGuard, PathRefusedError } from "./path-guard.ts";
export { jobCgroupsAvailable } from "./process/job-processes.ts";
