import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/api/root";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RunListItem = RouterOutputs["runs"]["list"]["runs"][number];
export type RunDetail = RouterOutputs["runs"]["get"];
export type AgentItem = RouterOutputs["agents"]["list"][number];
export type CompareEntry = RouterOutputs["runs"]["compare"][number];

/** The message of a tRPC error (or any error) for display. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong";
}
