"use client";

import { type RunKind, RunKindSchema, RunStatusSchema, RunTagSchema } from "@fp4kit/protocol";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import {
  RunArchivedFilterSchema,
  type RunListQuery,
  RunListQuerySchema,
  RunSortSchema,
} from "../../lib/run-query";
import type { AgentItem } from "../../lib/trpc/types";
import { cn } from "../ui/cn";
import { Input, Select } from "../ui/field";
import { KIND_LABELS, STATUS_LABELS } from "./run-badges";

export type RunFilterValues = RunListQuery;

const DEFAULTS = RunListQuerySchema.parse({});
/** How long typing pauses before the search goes into the URL (and the query runs). */
const SEARCH_DEBOUNCE_MS = 300;

function parseList<T extends string>(value: string | null, allowed: readonly T[]): T[] {
  return (value?.split(",") ?? []).filter((v): v is T => (allowed as readonly string[]).includes(v));
}

/** A URL parameter checked against its schema; an unknown value falls back to the default. */
function parseOr<T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, value: string | null) {
  const parsed = schema.safeParse(value ?? undefined);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Filters, search and order live in the URL (?status=FAILED&q=v3&sort=duration&dir=asc&archived=all…)
 * so a reload, a shared link or the back button shows the same view.
 */
export function useRunFilters() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filters = useMemo<RunFilterValues>(
    () => ({
      statuses: parseList(params.get("status"), RunStatusSchema.options),
      kinds: parseList(params.get("kind"), RunKindSchema.options),
      agentId: params.get("agent") ?? undefined,
      q: params.get("q")?.trim() ?? "",
      tag: parseOr(RunTagSchema, params.get("tag")),
      archived: parseOr(RunArchivedFilterSchema, params.get("archived")) ?? DEFAULTS.archived,
      sort: parseOr(RunSortSchema, params.get("sort")) ?? DEFAULTS.sort,
      dir: params.get("dir") === "asc" ? "asc" : params.get("dir") === "desc" ? "desc" : DEFAULTS.dir,
    }),
    [params],
  );
  const setFilters = (next: RunFilterValues) => {
    const query = new URLSearchParams();
    if (next.statuses.length) query.set("status", next.statuses.join(","));
    if (next.kinds.length) query.set("kind", next.kinds.join(","));
    if (next.agentId) query.set("agent", next.agentId);
    if (next.q) query.set("q", next.q);
    if (next.tag) query.set("tag", next.tag);
    if (next.archived !== DEFAULTS.archived) query.set("archived", next.archived);
    if (next.sort !== DEFAULTS.sort || next.dir !== DEFAULTS.dir) {
      query.set("sort", next.sort);
      query.set("dir", next.dir);
    }
    const qs = query.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };
  return { filters, setFilters };
}

/** Whether anything narrows the listing (the order does not). */
export function isFiltered(filters: RunFilterValues): boolean {
  return (
    filters.statuses.length > 0 ||
    filters.kinds.length > 0 ||
    filters.agentId !== undefined ||
    filters.q !== "" ||
    filters.tag !== undefined ||
    filters.archived !== DEFAULTS.archived
  );
}

/** The search box: typed text goes to the URL after a pause, and follows the URL when it changes. */
function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  // The last value this box sent: the URL catching up with it must not undo newer typing.
  const sent = useRef(value);
  const search = useRef(onSearch);
  search.current = onSearch;
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    const q = text.trim();
    if (q === sent.current) return;
    const timer = setTimeout(() => {
      sent.current = q;
      search.current(q);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <Input
      type="search"
      aria-label="Search runs"
      placeholder="Search name, paths, tags, notes"
      className="w-full sm:w-72"
      value={text}
      onChange={(e) => setText(e.target.value)}
    />
  );
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
  const active = isFiltered(filters);
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
      <SearchBox value={filters.q} onSearch={(q) => onChange({ ...filters, q })} />
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
      <label className="sr-only" htmlFor="filter-archived">
        Archived runs
      </label>
      <Select
        id="filter-archived"
        className="w-40"
        value={filters.archived}
        onChange={(e) => onChange({ ...filters, archived: RunArchivedFilterSchema.parse(e.target.value) })}
      >
        <option value="active">Hide archived</option>
        <option value="archived">Archived only</option>
        <option value="all">With archived</option>
      </Select>
      {filters.tag && (
        <button
          type="button"
          aria-label={`Remove tag filter ${filters.tag}`}
          className="rounded-full bg-indigo-50 px-2.5 py-1 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200 ring-inset"
          onClick={() => onChange({ ...filters, tag: undefined })}
        >
          tag: {filters.tag} ×
        </button>
      )}
      {active && (
        <button
          type="button"
          className="text-xs font-medium text-zinc-500 hover:text-zinc-900"
          onClick={() => onChange({ ...DEFAULTS, sort: filters.sort, dir: filters.dir })}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
