export * from "./agent.ts";
export * from "./engines.ts";
export * from "./http-api.ts";
export * from "./metrics.ts";
export * from "./reports/index.ts";
export * from "./run-states.ts";
export * from "./runs.ts";
export * from "./socket.ts";
