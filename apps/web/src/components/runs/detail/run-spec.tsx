import type { ReactNode } from "react";
import { formatBytes, formatDateTime } from "../../../lib/format";
import type { RunDetail } from "../../../lib/trpc/types";
import { Card, CardHeader } from "../../ui/card";

/** Option values as people read them: sizes in bytes humanised, lists joined. */
export function formatOptionValue(key: string, value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "number" && /bytes$/i.test(key)) return formatBytes(value);
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function Item({ label, children, wide }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? "min-w-0 sm:col-span-2" : "min-w-0"}>
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words text-zinc-900">{children}</dd>
    </div>
  );
}

/** What the run was asked to do, and when it happened. */
export function RunSpec({ run }: { run: RunDetail }) {
  const options = Object.entries(run.options);
  return (
    <Card>
      <CardHeader title="Specification" />
      <dl className="grid gap-x-6 gap-y-3 px-5 py-4 sm:grid-cols-2 lg:grid-cols-4">
        <Item label="Source" wide>
          <span className="font-mono text-xs">{run.sourcePath}</span>
        </Item>
        <Item label={run.destPath ? "Destination" : "Agent"} wide>
          {run.destPath ? <span className="font-mono text-xs">{run.destPath}</span> : agentLabel(run)}
        </Item>
        {run.destPath && <Item label="Agent">{agentLabel(run)}</Item>}
        <Item label="Queued">{formatDateTime(run.createdAt)}</Item>
        <Item label="Started">{formatDateTime(run.startedAt)}</Item>
        <Item label="Finished">{formatDateTime(run.finishedAt)}</Item>
        {options.map(([key, value]) => (
          <Item key={key} label={key}>
            <span className="font-mono text-xs">{formatOptionValue(key, value)}</span>
          </Item>
        ))}
      </dl>
    </Card>
  );
}

function agentLabel(run: RunDetail): string {
  if (!run.agent) return "any agent";
  return run.agent.hostname && run.agent.hostname !== run.agent.name
    ? `${run.agent.name} (${run.agent.hostname})`
    : run.agent.name;
}
