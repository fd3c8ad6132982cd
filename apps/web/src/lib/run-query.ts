/**
 * Which runs a listing shows and in what order: one schema for the runs page's URL, the tRPC
 * procedure and the HTTP API (browser-safe: no server imports).
 */
import { RunKindSchema, RunStatusSchema, RunTagSchema } from "@fp4kit/protocol";
import { z } from "zod";

/** Every column of the runs table, plus when the run was queued (the default order). */
export const RUN_SORT_KEYS = [
  "created",
  "name",
  "kind",
  "status",
  "progress",
  "agent",
  "queuedBy",
  "started",
  "duration",
  "input",
  "output",
  "ratio",
] as const;
export const RunSortSchema = z.enum(RUN_SORT_KEYS);
export type RunSort = z.infer<typeof RunSortSchema>;

/** Archived runs are hidden unless asked for. */
export const RunArchivedFilterSchema = z.enum(["active", "archived", "all"]);
export type RunArchivedFilter = z.infer<typeof RunArchivedFilterSchema>;

export const RunListQuerySchema = z.object({
  statuses: z.array(RunStatusSchema).default([]),
  kinds: z.array(RunKindSchema).default([]),
  agentId: z.string().min(1).optional(),
  /** Words that must each appear in the name, model, paths, tags, notes or id (any case). */
  q: z.string().trim().max(200).default(""),
  tag: RunTagSchema.optional(),
  archived: RunArchivedFilterSchema.default("active"),
  sort: RunSortSchema.default("created"),
  dir: z.enum(["asc", "desc"]).default("desc"),
});
export type RunListQuery = z.infer<typeof RunListQuerySchema>;
