/** The ends of a run a webhook can be told about (browser-safe: the form and the server share it). */
import { z } from "zod";

export const WebhookStatusSchema = z.enum(["SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);
export type WebhookStatus = z.infer<typeof WebhookStatusSchema>;

/** The `event` field and `X-Fp4kit-Event` header of each. */
export const WEBHOOK_EVENT_NAMES: Record<WebhookStatus, string> = {
  SUCCEEDED: "run.succeeded",
  FAILED: "run.failed",
  CANCELLED: "run.cancelled",
  LOST: "run.lost",
};

export const WEBHOOK_EVENT_LABELS: Record<WebhookStatus, string> = {
  SUCCEEDED: "Finished",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
  LOST: "Lost",
};

/** What people may set on a webhook. Personal hooks hear about the runs their owner queued. */
export const NewWebhookSchema = z.object({
  name: z.string().trim().min(1, "Give the webhook a name").max(80),
  url: z.url({ protocol: /^https?$/, message: "An http:// or https:// URL" }).max(2000),
  scope: z.enum(["personal", "team"]),
  events: z.array(WebhookStatusSchema).min(1, "Pick at least one event"),
});
export type NewWebhook = z.infer<typeof NewWebhookSchema>;
