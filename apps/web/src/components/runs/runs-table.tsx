"use client";

import Link from "next/link";
import { formatBytes, formatDuration, formatPercent, formatRatio } from "../../lib/format";
import type { RunListItem } from "../../lib/trpc/types";
import { useNow } from "../../lib/use-now";
import { ProgressBar } from "../ui/progress-bar";
import { RelativeTime } from "../ui/relative-time";
import { RunKindBadge, RunStatusBadge } from "./run-badges";
import { progressTone, runDurationMs } from "./run-figures";

const HEAD = "px-2 py-2.5 text-left text-xs font-medium text-zinc-500 whitespace-nowrap";
const CELL = "px-2 py-2.5 whitespace-nowrap";

export function RunsTable({
  runs,
  runHref,
  selected,
  onToggle,
}: {
  runs: RunListItem[];
  runHref: (runId: string) => string;
  selected: ReadonlySet<string>;
  onToggle: (runId: string) => void;
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
            <th className={HEAD}>Model</th>
            <th className={HEAD}>Kind</th>
            <th className={HEAD}>Status</th>
            <th className={HEAD}>Progress</th>
            <th className={HEAD}>Agent</th>
            <th className={HEAD}>Queued by</th>
            <th className={HEAD}>Started</th>
            <th className={`${HEAD} text-right`}>Duration</th>
            <th className={`${HEAD} text-right`}>Input</th>
            <th className={`${HEAD} text-right`}>Output</th>
            <th className={`${HEAD} pr-5 text-right`}>Ratio</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {runs.map((run) => (
            <tr key={run.id} className="group hover:bg-zinc-50/70" data-run-id={run.id}>
              <td className="py-2.5 pl-4">
                <input
                  type="checkbox"
                  aria-label={`Select ${run.model} (${run.id}) for compare`}
                  checked={selected.has(run.id)}
                  onChange={() => onToggle(run.id)}
                  className="size-4 rounded border-zinc-300 accent-indigo-600"
                />
              </td>
              <td className={`${CELL} max-w-56`}>
                <Link
                  href={runHref(run.id)}
                  className="block truncate font-medium text-zinc-900 hover:text-indigo-600"
                >
                  {run.model}
                </Link>
                <div className="truncate font-mono text-[11px] text-zinc-400" title={run.sourcePath}>
                  {run.id.slice(-8)}
                  {run.attempt > 1 && ` · attempt ${run.attempt}`}
                </div>
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
