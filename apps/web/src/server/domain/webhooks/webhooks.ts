import { randomBytes } from "node:crypto";
import type { NewWebhook } from "../../../lib/webhook-events";
import type { Db } from "../../db";
import { DomainError } from "../errors";
import type { TeamAccess } from "../teams/membership";

const DELIVERY_VIEW = {
  id: true,
  runId: true,
  event: true,
  status: true,
  attempts: true,
  nextAttemptAt: true,
  lastAttemptAt: true,
  lastStatusCode: true,
  lastError: true,
  createdAt: true,
} as const;

/** Team hooks are the owners' to make and remove; personal hooks their user's. */
function mayManage(access: TeamAccess, hook: { userId: string | null }): boolean {
  return hook.userId === null ? access.role === "OWNER" : hook.userId === access.userId;
}

/** Makes a webhook; its signing secret is returned this once (whsec_ + 32 random bytes). */
export async function createWebhook(db: Db, access: TeamAccess, input: NewWebhook) {
  if (input.scope === "team" && access.role !== "OWNER") {
    throw new DomainError("FORBIDDEN", "Only team owners add webhooks for every run of the team");
  }
  const secret = `whsec_${randomBytes(32).toString("base64url")}`;
  const hook = await db.webhook.create({
    data: {
      teamId: access.teamId,
      userId: input.scope === "personal" ? access.userId : null,
      createdById: access.userId,
      name: input.name,
      url: input.url,
      secret,
      events: [...new Set(input.events)],
    },
    select: { id: true, name: true },
  });
  return { webhook: hook, secret };
}

/**
 * The hooks the caller sees: the team's, and their own personal ones; each with its latest
 * delivery (the "last status" of the list).
 */
export async function listWebhooks(db: Db, access: TeamAccess) {
  const hooks = await db.webhook.findMany({
    where: { teamId: access.teamId, OR: [{ userId: null }, { userId: access.userId }] },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      name: true,
      url: true,
      userId: true,
      events: true,
      createdAt: true,
      createdBy: { select: { name: true } },
      deliveries: { orderBy: { createdAt: "desc" }, take: 1, select: DELIVERY_VIEW },
    },
  });
  return hooks.map(({ deliveries, userId, ...hook }) => ({
    ...hook,
    scope: userId === null ? ("team" as const) : ("personal" as const),
    canManage: mayManage(access, { userId }),
    lastDelivery: deliveries[0] ?? null,
  }));
}

async function visibleHook(db: Db, access: TeamAccess, webhookId: string) {
  const hook = await db.webhook.findFirst({
    where: { id: webhookId, teamId: access.teamId, OR: [{ userId: null }, { userId: access.userId }] },
    select: { id: true, userId: true },
  });
  if (!hook) throw new DomainError("NOT_FOUND", "No such webhook");
  return hook;
}

/** The hook's latest deliveries, newest first: every event, attempt count, last answer. */
export async function listDeliveries(db: Db, access: TeamAccess, input: { webhookId: string }) {
  await visibleHook(db, access, input.webhookId);
  return db.webhookDelivery.findMany({
    where: { webhookId: input.webhookId },
    orderBy: { createdAt: "desc" },
    take: 50,
    select: DELIVERY_VIEW,
  });
}

/** Removes a hook and its delivery log; pending retries stop with it. */
export async function deleteWebhook(db: Db, access: TeamAccess, input: { webhookId: string }) {
  const hook = await visibleHook(db, access, input.webhookId);
  if (!mayManage(access, hook)) throw new DomainError("FORBIDDEN", "Only team owners remove team webhooks");
  await db.webhook.delete({ where: { id: hook.id } });
}
