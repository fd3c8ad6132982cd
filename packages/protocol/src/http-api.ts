import { z } from "zod";
import { RunKindSchema, RunStatusSchema } from "./runs.ts";
import { LogStreamSchema } from "./socket.ts";

/**
 * The HTTP API (`/api/v1`, documented in apps/web/docs/http-api.md): what its responses hold. The
 * server builds them, `fp4kit remote` and any other client parse them. Authentication is a personal
 * API token, `Authorization: Bearer fp4k_…`, which also names the team.
 */

/** A run as the HTTP API returns it; times are ISO 8601 strings, sizes bytes. */
export const ApiRunSchema = z.object({
  id: z.string(),
  /** The name people gave it, or null (then `model` is its label). */
  name: z.string().nullable(),
  model: z.string(),
  kind: RunKindSchema,
  status: RunStatusSchema,
  /** 0..1 */
  progress: z.number(),
  sourcePath: z.string(),
  destPath: z.string().nullable(),
  options: z.record(z.string(), z.unknown()),
  agent: z.object({ id: z.string(), name: z.string() }).nullable(),
  tags: z.array(z.string()),
  attempt: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  cancelRequested: z.boolean(),
  inputBytes: z.number().nullable(),
  outputBytes: z.number().nullable(),
  error: z.string().nullable(),
  /** The run's page in the dashboard. */
  url: z.string(),
});
export type ApiRun = z.infer<typeof ApiRunSchema>;

export const ApiRunResponseSchema = z.object({ run: ApiRunSchema });
export const ApiRunListResponseSchema = z.object({
  runs: z.array(ApiRunSchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.number().int().nullable(),
});

/** `GET /api/v1/runs/{id}/log?after=<seq>`: the lines after `after`, and whether more can come. */
export const ApiLogResponseSchema = z.object({
  status: RunStatusSchema,
  lines: z.array(
    z.object({ seq: z.number().int(), ts: z.string(), stream: LogStreamSchema, line: z.string() }),
  ),
  /** Pass as `after` to get the lines that follow. */
  next: z.number().int(),
  /** True once the run ended and every stored line was returned: stop following. */
  done: z.boolean(),
});
export type ApiLogResponse = z.infer<typeof ApiLogResponseSchema>;

export const ApiWhoAmIResponseSchema = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  team: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  role: z.enum(["OWNER", "MEMBER", "VIEWER"]),
});

/** Every error: HTTP status plus a message in the user's terms, and per-field messages for bad input. */
export const ApiErrorResponseSchema = z.object({
  error: z.string(),
  fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
});
