import { z } from "zod";
import { AgentCapabilitiesSchema } from "./agent.ts";
import { MetricValuesSchema } from "./metrics.ts";
import { RUN_TRANSITIONS } from "./run-states.ts";
import { RunSpecSchema, RunStatusSchema } from "./runs.ts";

/**
 * The socket.io wire protocol between agents, the web server and browsers.
 * Agents connect to namespace `/agent` with `auth: { token }`; browsers to `/browser`
 * (authenticated by their session cookie). Every payload is validated with these schemas
 * on receipt; every request is acknowledged with `{ ok: true, ...reply }` or an `AckError`.
 */
export const AGENT_NAMESPACE = "/agent";
export const BROWSER_NAMESPACE = "/browser";

export const LogStreamSchema = z.enum(["STDOUT", "STDERR", "SYSTEM"]);
export type LogStream = z.infer<typeof LogStreamSchema>;

/** Longest log line stored; the agent splits longer output into several lines. */
export const MAX_LOG_LINE_CHARS = 64 * 1024;

/** One spooled event of a run. `seq` starts at 1 and is shared by log lines and metrics. */
export const RunEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("log"),
    seq: z.number().int().positive(),
    ts: z.string().datetime(),
    stream: LogStreamSchema,
    line: z.string().max(MAX_LOG_LINE_CHARS),
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
    runId: z.string().min(1),
    attempt: z.number().int().positive(),
    sourcePath: z.string().min(1),
    destPath: z.string().min(1).nullable(),
    leaseSeconds: z.number().int().positive(),
    /** Highest sequence number the server already stores for this run (resend after it). */
    ackedSeq: z.number().int().nonnegative(),
  })
  .and(RunSpecSchema);
export type Job = z.infer<typeof JobSchema>;

export const ArtifactKindSchema = z.enum(["INSPECT_REPORT", "QUALITY_REPORT", "SHARD_LIST"]);
export type ArtifactKind = z.infer<typeof ArtifactKindSchema>;

// ---- acknowledgements ----
/**
 * Why a request was refused. `NOT_HELD`: the run is not (or no longer) leased to this agent —
 * the agent must stop working on it. `INVALID_PAYLOAD`: the payload failed its schema.
 */
export const AckErrorCodeSchema = z.enum([
  "INVALID_PAYLOAD",
  "NOT_FOUND",
  "NOT_HELD",
  "FORBIDDEN",
  "INTERNAL",
]);
export type AckErrorCode = z.infer<typeof AckErrorCodeSchema>;
export const AckErrorSchema = z.object({ ok: z.literal(false), code: AckErrorCodeSchema, error: z.string() });
export type AckError = z.infer<typeof AckErrorSchema>;

/** The ack of a request whose successful reply has the fields of `reply`. */
export function ackSchema<Shape extends z.ZodRawShape>(reply: z.ZodObject<Shape>) {
  return z.discriminatedUnion("ok", [reply.extend({ ok: z.literal(true) }), AckErrorSchema]);
}
/** The reply of requests that answer nothing but success (heartbeat, artifact, finish). */
export const EmptyReplySchema = z.object({});
export const AckSchema = ackSchema(EmptyReplySchema);

// ---- agent → server (each with an ack) ----
export const AgentHelloSchema = z.object({ capabilities: AgentCapabilitiesSchema });
/** The server's timing, so that one setting on the server governs every agent. */
export const AgentHelloReplySchema = z.object({
  agentId: z.string(),
  agentName: z.string(),
  heartbeatSeconds: z.number().int().positive(),
  leaseSeconds: z.number().int().positive(),
});
export const HeartbeatSchema = z.object({});
export const ClaimRequestSchema = z.object({});
export const ClaimReplySchema = z.object({ job: JobSchema.nullable() });
export const RenewLeaseSchema = z.object({ runId: z.string().min(1) });
/** `held: false` means the lease is gone (run lost, finished or taken): stop the job. */
export const RenewLeaseReplySchema = z.object({ held: z.boolean(), cancelRequested: z.boolean() });
/**
 * A batch of a run's events (RunEventSchema). Each event is checked on its own when it is stored,
 * so that one the server cannot take is replaced by a visible note instead of refusing the batch.
 */
export const RunEventsBatchSchema = z.object({
  runId: z.string().min(1),
  events: z
    .array(z.looseObject({ seq: z.number().int().positive() }))
    .min(1)
    .max(1000),
});
/** The server stores events idempotently and answers with the highest contiguous seq it holds. */
export const RunEventsAckSchema = z.object({ ackedSeq: z.number().int().nonnegative() });
export const RunArtifactSchema = z.object({
  runId: z.string().min(1),
  kind: ArtifactKindSchema,
  json: z.json().refine((value) => value !== null, { message: "an artifact needs a JSON document" }),
  markdown: z.string().nullable(),
});
/** The outcomes an agent may report: the targets of the finish transition. */
export const FinishStatusSchema = z.enum(RUN_TRANSITIONS.finish.to);
export type FinishStatus = z.infer<typeof FinishStatusSchema>;
export const RunFinishSchema = z.object({
  runId: z.string().min(1),
  status: FinishStatusSchema,
  error: z.string().nullable(),
  inputBytes: z.number().nonnegative().nullable(),
  outputBytes: z.number().nonnegative().nullable(),
  summary: z.record(z.string(), z.unknown()).nullable(),
});
export type RunFinish = z.infer<typeof RunFinishSchema>;

// ---- server → agent ----
export const RunAvailableSchema = z.object({ runId: z.string() });
export const CancelRunSchema = z.object({ runId: z.string() });
export const AgentRevokedSchema = z.object({ reason: z.string() });
/**
 * server → agent, with an ack: measure (`remove: false`) or remove (`remove: true`) a run's output
 * folder. The agent refuses paths outside its data roots and the roots themselves; a removal names
 * the size the user confirmed, and the agent refuses it when the folder has changed size since.
 */
export const OutputFolderRequestSchema = z.object({
  path: z.string().min(1),
  remove: z.boolean(),
  confirmedBytes: z.number().int().nonnegative().nullable(),
});
export type OutputFolderRequest = z.infer<typeof OutputFolderRequestSchema>;
export const OutputFolderReplySchema = z.object({
  /** The folder's real path on the agent (symlinks resolved). */
  path: z.string(),
  exists: z.boolean(),
  sizeBytes: z.number().int().nonnegative(),
  fileCount: z.number().int().nonnegative(),
  removed: z.boolean(),
});
export type OutputFolderReply = z.infer<typeof OutputFolderReplySchema>;
export const OutputFolderAckSchema = ackSchema(OutputFolderReplySchema);
export type OutputFolderAck = z.infer<typeof OutputFolderAckSchema>;

/** Messages of a refused socket.io handshake (`connect_error`), so the agent can tell them apart. */
export const AGENT_AUTH_ERRORS = {
  missingToken: "agent token missing",
  invalidToken: "agent token invalid",
  revoked: "agent token revoked",
} as const;

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
  /** server → agent, acked: measure or remove a run's output folder (OutputFolderRequestSchema). */
  outputFolder: "output:folder",
} as const;

// ---- browser ↔ server ----
/**
 * Subscribe to a run's live events. The server first sends (as `run:events`) everything stored
 * after `afterSeq`, then every new event exactly once and in order; the ack comes after the replay.
 * To resume after a reconnect, subscribe again with the last seq received.
 */
export const BrowserSubscribeRunSchema = z.object({
  runId: z.string(),
  afterSeq: z.number().int().nonnegative(),
});
export const BrowserSubscribeRunReplySchema = z.object({
  status: RunStatusSchema,
  progress: z.number().min(0).max(1),
});
export const BrowserUnsubscribeRunSchema = z.object({ runId: z.string() });
export const BrowserSubscribeTeamSchema = z.object({ teamId: z.string() });
/**
 * server → browser: the server stopped this subscription because the browser did not take its
 * events fast enough (its send buffer stayed full). Every event up to `lastSeq` was sent before
 * this message; subscribe again with the last seq received to go on.
 */
export const BrowserRunDroppedSchema = z.object({
  runId: z.string(),
  lastSeq: z.number().int().nonnegative(),
});
/** server → browser: consecutive events of one run, ascending seq. */
export const BrowserRunEventsSchema = z.object({ runId: z.string(), events: z.array(RunEventSchema) });
export const RunStatusUpdateSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  progress: z.number().min(0).max(1),
});
export type RunStatusUpdate = z.infer<typeof RunStatusUpdateSchema>;
export const AgentStatusUpdateSchema = z.object({
  agentId: z.string(),
  online: z.boolean(),
  lastSeenAt: z.string().datetime().nullable(),
});
export type AgentStatusUpdate = z.infer<typeof AgentStatusUpdateSchema>;

export const BROWSER_EVENTS = {
  subscribeRun: "run:subscribe",
  unsubscribeRun: "run:unsubscribe",
  subscribeTeam: "team:subscribe",
  /** server → browser: events of a subscribed run, in seq order (BrowserRunEventsSchema). */
  runEvents: "run:events",
  /** server → browser: a slow subscription was stopped; resubscribe (BrowserRunDroppedSchema). */
  runDropped: "run:dropped",
  /** server → browser: a run of the team changed status/progress (runs table, run detail). */
  runStatus: "run:status",
  /** server → browser: an agent of the team connected/disconnected (AgentStatusUpdateSchema). */
  agentStatus: "agent:status",
} as const;
