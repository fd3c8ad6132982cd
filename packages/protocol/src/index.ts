export * from "./agent.ts";
export * from "./metrics.ts";
export * from "./runs.ts";
export * from "./socket.ts";
