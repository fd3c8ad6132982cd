"use client";

import { type RunKind, RunKindSchema, type RunStatus, RunStatusSchema } from "@fp4kit/protocol";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";
import type { AgentItem } from "../../lib/trpc/types";
import { cn } from "../ui/cn";
import { Select } from "../ui/field";
import { KIND_LABELS, STATUS_LABELS } from "./run-badges";

export interface RunFilterValues {
  statuses: RunStatus[];
  kinds: RunKind[];
  agentId: string | undefined;
}

function parseList<T extends string>(value: string | null, allowed: readonly T[]): T[] {
  return (value?.split(",") ?? []).filter((v): v is T => (allowed as readonly string[]).includes(v));
}

/** Filters live in the URL (?status=RUNNING,QUEUED&kind=CONVERT&agent=…) so views can be shared. */
export function useRunFilters() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filters = useMemo<RunFilterValues>(
    () => ({
      statuses: parseList(params.get("status"), RunStatusSchema.options),
      kinds: parseList(params.get("kind"), RunKindSchema.options),
      agentId: params.get("agent") ?? undefined,
    }),
    [params],
  );
  const setFilters = (next: RunFilterValues) => {
    const query = new URLSearchParams();
    if (next.statuses.length) query.set("status", next.statuses.join(","));
    if (next.kinds.length) query.set("kind", next.kinds.join(","));
    if (next.agentId) query.set("agent", next.agentId);
    const qs = query.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };
  return { filters, setFilters };
}

function toggle<T>(list: T[], item: T): T[] {
  return list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
}

export function RunFilters({
  filters,
  onChange,
  agents,
}: {
  filters: RunFilterValues;
  onChange: (next: RunFilterValues) => void;
  agents: AgentItem[];
}) {
  const active = filters.statuses.length > 0 || filters.kinds.length > 0 || filters.agentId !== undefined;
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
      <fieldset className="flex flex-wrap items-center gap-1.5">
        <legend className="sr-only">Status</legend>
        {RunStatusSchema.options.map((status) => {
          const on = filters.statuses.includes(status);
          return (
            <button
              key={status}
              type="button"
              aria-pressed={on}
              onClick={() => onChange({ ...filters, statuses: toggle(filters.statuses, status) })}
              className={cn(
                "rounded-full px-2.5 py-1 text-xs font-medium ring-1 ring-inset transition-colors",
                on
                  ? "bg-indigo-600 text-white ring-indigo-600"
                  : "bg-white text-zinc-600 ring-zinc-300 hover:bg-zinc-50",
              )}
            >
              {STATUS_LABELS[status]}
            </button>
          );
        })}
      </fieldset>
      <label className="sr-only" htmlFor="filter-kind">
        Kind
      </label>
      <Select
        id="filter-kind"
        className="w-44"
        value={filters.kinds[0] ?? ""}
        onChange={(e) => onChange({ ...filters, kinds: e.target.value ? [e.target.value as RunKind] : [] })}
      >
        <option value="">All kinds</option>
        {RunKindSchema.options.map((kind) => (
          <option key={kind} value={kind}>
            {KIND_LABELS[kind]}
          </option>
        ))}
      </Select>
      <label className="sr-only" htmlFor="filter-agent">
        Agent
      </label>
      <Select
        id="filter-agent"
        className="w-44"
        value={filters.agentId ?? ""}
        onChange={(e) => onChange({ ...filters, agentId: e.target.value || undefined })}
      >
        <option value="">All agents</option>
        {agents.map((agent) => (
          <option key={agent.id} value={agent.id}>
            {agent.name}
          </option>
        ))}
      </Select>
      {active && (
        <button
          type="button"
          className="text-xs font-medium text-zinc-500 hover:text-zinc-900"
          onClick={() => onChange({ statuses: [], kinds: [], agentId: undefined })}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
