"use client";

import type { MetricValues } from "@fp4kit/protocol";
import {
  formatBytes,
  formatDuration,
  formatNumber,
  formatPercent,
  formatThroughput,
} from "../../../lib/format";
import type { RunDetail } from "../../../lib/trpc/types";
import { useNow } from "../../../lib/use-now";
import { ProgressBar } from "../../ui/progress-bar";
import { RelativeTime } from "../../ui/relative-time";
import { progressTone, runDurationMs } from "../run-figures";

/**
 * Remaining time: the agent's own estimate when it sends one, otherwise extrapolated from the
 * elapsed time and progress so far.
 */
function etaMs(run: RunDetail, latest: MetricValues, progress: number, now: number): number | null {
  if (run.status !== "RUNNING") return null;
  if (latest.etaSeconds !== undefined) return latest.etaSeconds * 1000;
  const elapsed = runDurationMs(run, now);
  if (elapsed === null || progress <= 0.01) return null;
  return (elapsed * (1 - progress)) / progress;
}

export function RunProgress({ run, latest }: { run: RunDetail; latest: MetricValues }) {
  const now = useNow(1000);
  const progress = run.status === "SUCCEEDED" ? 1 : Math.max(run.progress, latest.progress ?? 0);
  const eta = etaMs(run, latest, progress, now);
  return (
    <div className="rounded-lg border border-zinc-200 bg-white px-5 py-4 shadow-xs">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2 text-sm">
        <span className="tabular font-semibold text-zinc-900" data-testid="run-progress">
          {formatPercent(progress)}
        </span>
        <span className="tabular text-xs text-zinc-500">
          {run.status === "QUEUED" && "Waiting for a free agent…"}
          {run.status === "RUNNING" && run.agent && !run.agent.online && (
            <>
              agent offline since <RelativeTime date={run.agent.lastSeenAt} />
            </>
          )}
          {run.status === "RUNNING" && (!run.agent || run.agent.online) && (
            <>
              {latest.tensorsTotal
                ? `${formatNumber(latest.tensorsDone ?? 0)} / ${formatNumber(latest.tensorsTotal)} tensors · `
                : ""}
              {latest.throughputBytesPerSec !== undefined
                ? `${formatThroughput(latest.throughputBytesPerSec)} · `
                : ""}
              {eta !== null ? `ETA ${formatDuration(eta)}` : "estimating…"}
            </>
          )}
          {run.status !== "QUEUED" &&
            run.status !== "RUNNING" &&
            `took ${formatDuration(runDurationMs(run, now))}`}
        </span>
      </div>
      <ProgressBar value={progress} tone={progressTone(run.status)} size="md" />
      {run.status === "RUNNING" && latest.currentShard && (
        <div className="mt-2 truncate font-mono text-[11px] text-zinc-500">
          {latest.currentShard} · {formatBytes(latest.bytesRead)} read
        </div>
      )}
    </div>
  );
}
