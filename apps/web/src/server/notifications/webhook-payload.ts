import { createHmac } from "node:crypto";
import type { ApiRun } from "@fp4kit/protocol";
import { formatBytes, formatDuration } from "../../lib/format";
import { WEBHOOK_EVENT_NAMES, type WebhookStatus } from "../../lib/webhook-events";

const VERBS: Record<WebhookStatus, string> = {
  SUCCEEDED: ":white_check_mark: finished",
  FAILED: ":x: failed",
  CANCELLED: ":no_entry_sign: was cancelled",
  LOST: ":warning: was lost (its agent stopped answering)",
};

/**
 * The JSON a webhook receives: Slack's incoming-webhook `text` (mrkdwn, with a link to the run) so
 * that a Slack URL works as it is, plus the event name and the run in the HTTP API's shape.
 */
export function webhookPayload(status: WebhookStatus, run: ApiRun) {
  const label = run.name ?? run.model;
  const facts = [
    run.startedAt && run.finishedAt
      ? `in ${formatDuration(new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime())}`
      : null,
    run.outputBytes ? `${formatBytes(run.outputBytes)} written` : null,
    run.agent ? `on ${run.agent.name}` : null,
  ].filter(Boolean);
  const error = run.error && status !== "SUCCEEDED" ? `\n> ${run.error}` : "";
  return {
    text: `${run.kind.toLowerCase()} run <${run.url}|${label}> ${VERBS[status]}${facts.length ? ` ${facts.join(", ")}` : ""}${error}`,
    event: WEBHOOK_EVENT_NAMES[status],
    run,
  };
}

/**
 * `X-Fp4kit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the hook's secret>`.
 * The timestamp lets receivers refuse replays; recomputed on every attempt.
 */
export function signatureHeader(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${v1}`;
}
