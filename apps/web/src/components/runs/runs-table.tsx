"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { formatBytes, formatDuration, formatPercent, formatRatio } from "../../lib/format";
import type { RunSort } from "../../lib/run-query";
import type { RunListItem } from "../../lib/trpc/types";
import { useNow } from "../../lib/use-now";
import { ProgressBar } from "../ui/progress-bar";
import { RelativeTime } from "../ui/relative-time";
import { RunKindBadge, RunStatusBadge } from "./run-badges";
import { progressTone, runDurationMs } from "./run-figures";

const HEAD = "px-2 py-2.5 text-left text-xs font-medium text-zinc-500 whitespace-nowrap";
const CELL = "px-2 py-2.5 whitespace-nowrap";

export interface RunSorting {
  sort: RunSort;
  dir: "asc" | "desc";
  onSort: (sort: RunSort, dir: "asc" | "desc") => void;
}

/** Numbers and times read best largest/newest first; names and kinds A to Z. */
const FIRST_DIRECTION: Record<RunSort, "asc" | "desc"> = {
  created: "desc",
  name: "asc",
  kind: "asc",
  status: "asc",
  progress: "desc",
  agent: "asc",
  queuedBy: "asc",
  started: "desc",
  duration: "desc",
  input: "desc",
  output: "desc",
  ratio: "desc",
};

/** A column header; with `sorting`, a button that orders by the column (again: the other way). */
function Header({
  column,
  sorting,
  className,
  children,
}: {
  column: RunSort;
  sorting: RunSorting | undefined;
  className?: string;
  children: ReactNode;
}) {
  const active = sorting?.sort === column;
  const ariaSort = active ? (sorting?.dir === "asc" ? "ascending" : "descending") : undefined;
  return (
    <th className={`${HEAD} ${className ?? ""}`} aria-sort={ariaSort}>
      {sorting ? (
        <button
          type="button"
          className={`inline-flex items-center gap-1 hover:text-zinc-900 ${active ? "text-zinc-900" : ""}`}
          onClick={() =>
            sorting.onSort(
              column,
              active ? (sorting.dir === "asc" ? "desc" : "asc") : FIRST_DIRECTION[column],
            )
          }
        >
          {children}
          <span aria-hidden className="w-2">
            {active ? (sorting.dir === "asc" ? "▲" : "▼") : ""}
          </span>
        </button>
      ) : (
        children
      )}
    </th>
  );
}

export function RunsTable({
  runs,
  runHref,
  selected,
  onToggle,
  sorting,
  onTag,
}: {
  runs: RunListItem[];
  runHref: (runId: string) => string;
  selected: ReadonlySet<string>;
  onToggle: (runId: string) => void;
  /** Sortable column headers; without it the table keeps the order it is given. */
  sorting?: RunSorting;
  /** Clicking a tag filters by it. */
  onTag?: (tag: string) => void;
}) {
  const now = useNow(1000);
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-[13px]">
        <thead className="border-b border-zinc-200 bg-zinc-50/80">
          <tr>
            <th className="w-10 py-2.5 pl-4">
              <span className="sr-only">Select for compare</span>
            </th>
            <Header column="name" sorting={sorting}>
              Run
            </Header>
            <Header column="kind" sorting={sorting}>
              Kind
            </Header>
            <Header column="status" sorting={sorting}>
              Status
            </Header>
            <Header column="progress" sorting={sorting}>
              Progress
            </Header>
            <Header column="agent" sorting={sorting}>
              Agent
            </Header>
            <Header column="queuedBy" sorting={sorting}>
              Queued by
            </Header>
            <Header column="started" sorting={sorting}>
              Started
            </Header>
            <Header column="duration" sorting={sorting} className="text-right">
              Duration
            </Header>
            <Header column="input" sorting={sorting} className="text-right">
              Input
            </Header>
            <Header column="output" sorting={sorting} className="text-right">
              Output
            </Header>
            <Header column="ratio" sorting={sorting} className="pr-5 text-right">
              Ratio
            </Header>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {runs.map((run) => (
            <tr key={run.id} className="group hover:bg-zinc-50/70" data-run-id={run.id}>
              <td className="py-2.5 pl-4">
                <input
                  type="checkbox"
                  aria-label={`Select ${run.name ?? run.model} (${run.id})`}
                  checked={selected.has(run.id)}
                  onChange={() => onToggle(run.id)}
                  className="size-4 rounded border-zinc-300 accent-indigo-600"
                />
              </td>
              <td className={`${CELL} max-w-64`}>
                <Link
                  href={runHref(run.id)}
                  className="block truncate font-medium text-zinc-900 hover:text-indigo-600"
                >
                  {run.name ?? run.model}
                </Link>
                <div className="truncate font-mono text-[11px] text-zinc-400" title={run.sourcePath}>
                  {run.name && <span className="font-sans">{run.model} · </span>}
                  {run.id.slice(-8)}
                  {run.attempt > 1 && ` · attempt ${run.attempt}`}
                  {run.archivedAt && <span className="font-sans text-amber-700"> · archived</span>}
                </div>
                {run.tags.length > 0 && (
                  <div className="mt-1 flex flex-wrap gap-1">
                    {run.tags.map((tag) => (
                      <TagChip key={tag} tag={tag} onClick={onTag} />
                    ))}
                  </div>
                )}
              </td>
              <td className={CELL}>
                <RunKindBadge kind={run.kind} short />
              </td>
              <td className={CELL}>
                <RunStatusBadge status={run.status} cancelling={run.cancelRequestedAt !== null} />
              </td>
              <td className={CELL}>
                <div className="flex w-28 items-center gap-2">
                  <ProgressBar
                    value={run.status === "SUCCEEDED" ? 1 : run.progress}
                    tone={progressTone(run.status)}
                  />
                  <span className="tabular w-11 text-right text-xs text-zinc-500">
                    {formatPercent(run.status === "SUCCEEDED" ? 1 : run.progress, 0)}
                  </span>
                </div>
              </td>
              <td className={`${CELL} text-zinc-600`}>
                {run.agent?.name ?? <span className="text-zinc-400">any</span>}
              </td>
              <td className={`${CELL} text-zinc-600`}>{run.createdBy.name}</td>
              <td className={`${CELL} text-zinc-600`}>
                {run.startedAt ? (
                  <RelativeTime date={run.startedAt} />
                ) : (
                  <span className="text-zinc-400">—</span>
                )}
              </td>
              <td className={`${CELL} tabular text-right text-zinc-600`}>
                {formatDuration(runDurationMs(run, now))}
              </td>
              <td className={`${CELL} tabular text-right text-zinc-600`}>{formatBytes(run.inputBytes)}</td>
              <td className={`${CELL} tabular text-right text-zinc-600`}>{formatBytes(run.outputBytes)}</td>
              <td className={`${CELL} tabular pr-5 text-right font-medium text-zinc-800`}>
                {formatRatio(run.compressionRatio)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A run's tag; a button that filters by it where the table offers that. */
export function TagChip({ tag, onClick }: { tag: string; onClick?: ((tag: string) => void) | undefined }) {
  const style = "rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-[11px] text-zinc-600";
  return onClick ? (
    <button
      type="button"
      className={`${style} hover:bg-indigo-50 hover:text-indigo-700`}
      title={`Show runs tagged ${tag}`}
      onClick={() => onClick(tag)}
    >
      {tag}
    </button>
  ) : (
    <span className={style}>{tag}</span>
  );
}
