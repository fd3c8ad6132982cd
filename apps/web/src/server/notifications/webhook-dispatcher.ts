import type { Prisma } from "@fp4kit/db";
import { WEBHOOK_EVENT_NAMES, type WebhookStatus } from "../../lib/webhook-events";
import type { Db } from "../db";
import { RUN_VIEW_SELECT, toRunView } from "../domain/runs/run-view";
import { toApiRun } from "../http-api/api-run";
import type { Logger } from "../realtime/logger";
import { signatureHeader, webhookPayload } from "./webhook-payload";

export interface WebhookDispatcherOptions {
  db: Db;
  log: Logger;
  /** The dashboard's public URL, for the run links in payloads. */
  publicUrl: string;
  intervalMs?: number;
  /** First retry after this long, doubling each time. */
  retryBaseMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
}

/** How long a claimed delivery stays hidden from other instances while it is being sent. */
const CLAIM_MS = 60_000;
const MAX_ERROR_CHARS = 500;

/**
 * Sends the team's webhooks when runs end. Every instance runs one; the database decides who does
 * what (FOR UPDATE SKIP LOCKED), so each end of a run is enqueued once and each delivery is sent
 * by one instance at a time.
 *
 * 1. A run whose status is final and differs from `notifiedStatus` (a LOST run its agent later
 *    finished ends twice) gets one delivery per matching hook: team hooks, and personal hooks of the
 *    user who queued it, subscribed to that status. The payload is fixed at that moment.
 * 2. Due deliveries are POSTed, signed; a 2xx ends them, anything else is retried after
 *    retryBase·2^(attempt-1) until maxAttempts, and the last status and error are kept.
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions) {
  const { db, log, publicUrl } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const retryBaseMs = options.retryBaseMs ?? 2000;
  const maxAttempts = options.maxAttempts ?? 6;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function enqueueEndedRuns(): Promise<void> {
    await db.$transaction(async (tx) => {
      const ended = await tx.$queryRaw<
        { id: string; status: WebhookStatus; teamId: string; createdById: string }[]
      >`
        SELECT id, status::text AS status, "teamId", "createdById" FROM run
        WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST')
          AND "notifiedStatus" IS DISTINCT FROM status
        ORDER BY "finishedAt" LIMIT 50
        FOR UPDATE SKIP LOCKED`;
      for (const run of ended) {
        const hooks = await tx.webhook.findMany({
          where: {
            teamId: run.teamId,
            events: { has: run.status },
            OR: [{ userId: null }, { userId: run.createdById }],
          },
          select: { id: true },
        });
        if (hooks.length > 0) {
          const view = await tx.run.findUniqueOrThrow({ where: { id: run.id }, select: RUN_VIEW_SELECT });
          const team = await tx.team.findUniqueOrThrow({ where: { id: run.teamId }, select: { slug: true } });
          const url = new URL(`/t/${team.slug}/runs/${run.id}`, publicUrl).href;
          const payload = webhookPayload(run.status, toApiRun(toRunView(view), url));
          await tx.webhookDelivery.createMany({
            data: hooks.map((hook) => ({
              webhookId: hook.id,
              runId: run.id,
              event: run.status,
              payload: payload as unknown as Prisma.InputJsonValue,
            })),
          });
        }
        await tx.run.update({ where: { id: run.id }, data: { notifiedStatus: run.status } });
      }
    });
  }

  async function claimDueDeliveries() {
    return db.$queryRaw<{ id: string }[]>`
      UPDATE webhook_delivery SET "nextAttemptAt" = now() + ${CLAIM_MS}::int * interval '1 millisecond'
      WHERE id IN (
        SELECT id FROM webhook_delivery
        WHERE status = 'PENDING' AND "nextAttemptAt" <= now()
        ORDER BY "nextAttemptAt" LIMIT 10
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
  }

  async function deliver(deliveryId: string): Promise<void> {
    const delivery = await db.webhookDelivery.findUniqueOrThrow({
      where: { id: deliveryId },
      select: {
        id: true,
        attempts: true,
        event: true,
        payload: true,
        webhook: { select: { url: true, secret: true } },
      },
    });
    const body = JSON.stringify(delivery.payload);
    const now = new Date();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.webhook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "fp4kit-webhooks",
          "x-fp4kit-event": WEBHOOK_EVENT_NAMES[delivery.event as WebhookStatus],
          "x-fp4kit-delivery": delivery.id,
          "x-fp4kit-signature": signatureHeader(delivery.webhook.secret, body, now),
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      statusCode = response.status;
      if (!response.ok)
        error = `HTTP ${response.status}: ${(await response.text()).slice(0, MAX_ERROR_CHARS)}`;
    } catch (err) {
      error =
        (err as Error).name === "TimeoutError"
          ? `no answer within ${timeoutMs / 1000} s`
          : String((err as Error).cause ?? err);
    }
    const attempts = delivery.attempts + 1;
    const retry = error !== null && attempts < maxAttempts;
    await db.webhookDelivery.update({
      where: { id: delivery.id },
      data: {
        attempts,
        lastAttemptAt: now,
        lastStatusCode: statusCode,
        lastError: error,
        status: error === null ? "DELIVERED" : retry ? "PENDING" : "FAILED",
        nextAttemptAt: retry ? new Date(now.getTime() + retryBaseMs * 2 ** (attempts - 1)) : null,
      },
    });
  }

  async function tick(): Promise<void> {
    await enqueueEndedRuns();
    const due = await claimDueDeliveries();
    await Promise.all(due.map((d) => deliver(d.id)));
  }

  function runTick(): Promise<void> {
    running ??= tick()
      .catch((err: unknown) => log.error("[webhooks] dispatching failed", err))
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => {
    if (!stopped) void runTick();
  }, intervalMs);
  timer.unref();

  return {
    /** One pass now (tests; it also runs every intervalMs). */
    tick: runTick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof startWebhookDispatcher>;
