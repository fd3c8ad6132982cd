/** Where the realtime layer reports problems it cannot hand to a client (defaults to console). */
export type Logger = Pick<Console, "info" | "warn" | "error">;
