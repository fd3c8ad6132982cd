"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { z } from "zod";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage, type RouterOutputs } from "../../lib/trpc/types";
import {
  NewWebhookSchema,
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENT_NAMES,
  type WebhookStatus,
  WebhookStatusSchema,
} from "../../lib/webhook-events";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Alert, Field, Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { RelativeTime } from "../ui/relative-time";

type Webhook = RouterOutputs["webhooks"]["list"][number];
type Delivery = NonNullable<Webhook["lastDelivery"]>;

function DeliveryStatus({ delivery }: { delivery: Delivery }) {
  const tone =
    delivery.status === "DELIVERED"
      ? "text-emerald-700"
      : delivery.status === "FAILED"
        ? "text-red-700"
        : "text-amber-700";
  return (
    <span className={tone}>
      {delivery.status === "DELIVERED" ? "delivered" : delivery.status === "FAILED" ? "failed" : "retrying"}
      {delivery.lastStatusCode !== null && ` · HTTP ${delivery.lastStatusCode}`}
      {` · ${delivery.attempts} ${delivery.attempts === 1 ? "attempt" : "attempts"}`}
    </span>
  );
}

/** A hook's delivery log: each event, how sending it went, and the last error. */
function Deliveries({ webhookId }: { webhookId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  const deliveries = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ teamId: team.id, webhookId }),
    refetchInterval: 2000,
  });
  if (deliveries.error) return <Alert>{errorMessage(deliveries.error)}</Alert>;
  if (deliveries.data?.length === 0) return <p className="text-xs text-zinc-500">Nothing sent yet.</p>;
  return (
    <table className="w-full text-xs" data-testid="deliveries">
      <tbody className="divide-y divide-zinc-100">
        {deliveries.data?.map((d) => (
          <tr key={d.id} className="align-top" data-delivery-status={d.status}>
            <td className="py-1.5 pr-3 font-mono">{WEBHOOK_EVENT_NAMES[d.event as WebhookStatus]}</td>
            <td className="py-1.5 pr-3 font-mono text-zinc-500">{d.runId.slice(-8)}</td>
            <td className="py-1.5 pr-3">
              <DeliveryStatus delivery={d} />
            </td>
            <td className="py-1.5 pr-3 text-zinc-500">
              <RelativeTime date={d.lastAttemptAt ?? d.createdAt} />
            </td>
            <td className="py-1.5 break-all text-red-700">{d.lastError}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NewWebhookForm() {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [scope, setScope] = useState<"personal" | "team">("personal");
  const [events, setEvents] = useState<WebhookStatus[]>([...WebhookStatusSchema.options]);
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setUrl("");
        return queryClient.invalidateQueries(trpc.webhooks.pathFilter());
      },
    }),
  );
  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = NewWebhookSchema.safeParse({ name, url, scope, events });
    if (!parsed.success) {
      const found = z.flattenError(parsed.error).fieldErrors;
      setErrors({ name: found.name?.[0], url: found.url?.[0], events: found.events?.[0] });
      return;
    }
    setErrors({});
    create.mutate({ teamId: team.id, ...parsed.data });
  }
  return (
    <Card>
      <CardHeader
        title="New webhook"
        description="POSTs Slack-compatible JSON when runs end: a Slack incoming-webhook URL works as it is."
      />
      <form onSubmit={submit} noValidate className="grid gap-4 px-5 py-4 md:grid-cols-2">
        <Field label="Name" htmlFor="webhook-name" error={errors.name}>
          <Input id="webhook-name" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="URL" htmlFor="webhook-url" error={errors.url}>
          <Input
            id="webhook-url"
            value={url}
            className="font-mono"
            placeholder="https://hooks.slack.com/services/…"
            onChange={(e) => setUrl(e.target.value)}
          />
        </Field>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-zinc-800">Runs</legend>
          <label className="mr-4 text-sm">
            <input
              type="radio"
              name="webhook-scope"
              className="mr-1.5 accent-indigo-600"
              checked={scope === "personal"}
              onChange={() => setScope("personal")}
            />
            Runs I queue
          </label>
          {team.isOwner && (
            <label className="text-sm">
              <input
                type="radio"
                name="webhook-scope"
                className="mr-1.5 accent-indigo-600"
                checked={scope === "team"}
                onChange={() => setScope("team")}
              />
              Every run of the team
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-zinc-800">When a run</legend>
          {WebhookStatusSchema.options.map((status) => (
            <label key={status} className="mr-4 text-sm">
              <input
                type="checkbox"
                className="mr-1.5 accent-indigo-600"
                checked={events.includes(status)}
                onChange={(e) =>
                  setEvents((current) =>
                    e.target.checked ? [...current, status] : current.filter((s) => s !== status),
                  )
                }
              />
              {WEBHOOK_EVENT_LABELS[status]}
            </label>
          ))}
          {errors.events && <p className="mt-1 text-xs text-red-600">{errors.events}</p>}
        </fieldset>
        <div className="flex items-center gap-3 md:col-span-2">
          <Button type="submit" variant="primary" disabled={create.isPending}>
            Add webhook
          </Button>
          {create.error && <span className="text-xs text-red-600">{errorMessage(create.error)}</span>}
        </div>
      </form>
      {create.data && (
        <div className="space-y-2 border-t border-zinc-200 px-5 py-4">
          <Alert tone="amber">
            The signing secret of "{create.data.webhook.name}" is shown only now. Check each request's
            X-Fp4kit-Signature with it (see the HTTP API docs).
          </Alert>
          <code
            className="block rounded-md bg-zinc-100 px-3 py-2 font-mono text-xs break-all"
            data-testid="webhook-secret"
          >
            {create.data.secret}
          </code>
        </div>
      )}
    </Card>
  );
}

/** Webhooks (team and personal) with their delivery log, and how browser notifications work. */
export function NotificationsPage() {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const hooks = useQuery({ ...trpc.webhooks.list.queryOptions({ teamId: team.id }), refetchInterval: 5000 });
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.pathFilter()),
    }),
  );
  return (
    <div className="space-y-5">
      <PageHeader
        title="Notifications"
        description="Webhooks when runs finish, fail, are cancelled or lost; and, on a run's page, a browser notification when it ends."
      />
      <NewWebhookForm />
      <Card>
        <CardHeader
          title="Webhooks"
          description="Failed deliveries are retried with growing pauses, six times in all."
        />
        {hooks.error && <Alert>{errorMessage(hooks.error)}</Alert>}
        {hooks.data?.length === 0 && <p className="px-5 py-6 text-sm text-zinc-500">No webhooks yet.</p>}
        <ul className="divide-y divide-zinc-100">
          {hooks.data?.map((hook) => (
            <li key={hook.id} className="px-5 py-3" data-webhook-name={hook.name}>
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
                <span className="font-medium text-zinc-900">{hook.name}</span>
                <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600">
                  {hook.scope === "team" ? "every run" : "my runs"}
                </span>
                <span className="min-w-0 truncate font-mono text-xs text-zinc-500">{hook.url}</span>
                <span className="text-xs text-zinc-500">
                  {hook.events.map((e) => WEBHOOK_EVENT_LABELS[e as WebhookStatus]).join(", ")}
                </span>
                <span className="ml-auto flex items-center gap-2 text-xs" data-testid="last-delivery">
                  {hook.lastDelivery ? <DeliveryStatus delivery={hook.lastDelivery} /> : "never sent"}
                  <Button
                    size="xs"
                    variant="ghost"
                    onClick={() => setOpen(open === hook.id ? null : hook.id)}
                  >
                    {open === hook.id ? "Hide deliveries" : "Deliveries"}
                  </Button>
                  {hook.canManage && (
                    <Button
                      size="xs"
                      variant="danger"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate({ teamId: team.id, webhookId: hook.id })}
                    >
                      Delete
                    </Button>
                  )}
                </span>
              </div>
              {open === hook.id && (
                <div className="mt-2">
                  <Deliveries webhookId={hook.id} />
                </div>
              )}
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
