import { z } from "zod";
import { AgentCapabilitiesSchema } from "./agent.ts";
import { MetricValuesSchema } from "./metrics.ts";
import { RunSpecSchema, RunStatusSchema } from "./runs.ts";

/**
 * The socket.io wire protocol between agents, the web server and browsers.
 * Agents connect to namespace `/agent` with `auth: { token }`; browsers to `/browser`
 * (authenticated by their session cookie). Every payload is validated with these schemas
 * on receipt; acks carry `{ ok: false, error }` for a refused payload.
 */
export const AGENT_NAMESPACE = "/agent";
export const BROWSER_NAMESPACE = "/browser";

export const LogStreamSchema = z.enum(["STDOUT", "STDERR", "SYSTEM"]);

/** One spooled event of a run. `seq` starts at 1 and is shared by log lines and metrics. */
export const RunEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("log"),
    seq: z.number().int().positive(),
    ts: z.string().datetime(),
    stream: LogStreamSchema,
    line: z.string().max(64 * 1024),
  }),
  z.object({
    type: z.literal("metric"),
    seq: z.number().int().positive(),
    ts: z.string().datetime(),
    values: MetricValuesSchema,
  }),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;

/** A job as handed to an agent when it claims one (a lease, renewed with `run:renew`). */
export const JobSchema = z
  .object({
    runId: z.string(),
    attempt: z.number().int().positive(),
    sourcePath: z.string(),
    destPath: z.string().nullable(),
    leaseSeconds: z.number().int().positive(),
    /** Highest sequence number the server already stores for this run (resend after it). */
    ackedSeq: z.number().int().nonnegative(),
  })
  .and(RunSpecSchema);
export type Job = z.infer<typeof JobSchema>;

export const ArtifactKindSchema = z.enum(["INSPECT_REPORT", "QUALITY_REPORT", "SHARD_LIST"]);

// ---- agent → server (each with an ack) ----
export const AgentHelloSchema = z.object({ capabilities: AgentCapabilitiesSchema });
export const ClaimRequestSchema = z.object({});
export const ClaimReplySchema = z.object({ job: JobSchema.nullable() });
export const RenewLeaseSchema = z.object({ runId: z.string() });
export const RenewLeaseReplySchema = z.object({ ok: z.boolean(), cancelRequested: z.boolean() });
export const RunEventsBatchSchema = z.object({
  runId: z.string(),
  events: z.array(RunEventSchema).min(1).max(1000),
});
/** The server stores events idempotently and answers with the highest contiguous seq it holds. */
export const RunEventsAckSchema = z.object({ ackedSeq: z.number().int().nonnegative() });
export const RunArtifactSchema = z.object({
  runId: z.string(),
  kind: ArtifactKindSchema,
  json: z.unknown(),
  markdown: z.string().nullable(),
});
export const RunFinishSchema = z.object({
  runId: z.string(),
  status: z.enum(["SUCCEEDED", "FAILED", "CANCELLED"]),
  error: z.string().nullable(),
  inputBytes: z.number().nonnegative().nullable(),
  outputBytes: z.number().nonnegative().nullable(),
  summary: z.record(z.string(), z.unknown()).nullable(),
});

// ---- server → agent ----
export const CancelRunSchema = z.object({ runId: z.string() });

export const AckSchema = z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), error: z.string() })]);

export const AGENT_EVENTS = {
  hello: "agent:hello",
  heartbeat: "agent:heartbeat",
  claim: "run:claim",
  renew: "run:renew",
  events: "run:events",
  artifact: "run:artifact",
  finish: "run:finish",
  /** server → agent: a run was queued that this agent may claim. */
  available: "run:available",
  /** server → agent: stop this run (SIGINT → SIGTERM → SIGKILL). */
  cancel: "run:cancel",
  /** server → agent: the token was revoked; the server disconnects right after. */
  revoked: "agent:revoked",
} as const;

// ---- browser ↔ server ----
/** Subscribe to a run's live events; the server first replays everything after `afterSeq`. */
export const BrowserSubscribeRunSchema = z.object({ runId: z.string(), afterSeq: z.number().int().nonnegative() });
export const BrowserSubscribeTeamSchema = z.object({ teamId: z.string() });
export const RunStatusUpdateSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  progress: z.number().min(0).max(1),
});

export const BROWSER_EVENTS = {
  subscribeRun: "run:subscribe",
  unsubscribeRun: "run:unsubscribe",
  subscribeTeam: "team:subscribe",
  /** server → browser: events of a subscribed run, in seq order. */
  runEvents: "run:events",
  /** server → browser: a run of the team changed status/progress (runs table, run detail). */
  runStatus: "run:status",
  /** server → browser: an agent of the team connected/disconnected. */
  agentStatus: "agent:status",
} as const;
