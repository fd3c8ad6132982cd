"use client";

import type { StreamState } from "../../../lib/live/use-run-events";
import { ButtonAnchor } from "../../ui/button";
import { cn } from "../../ui/cn";
import { lineCountLabel, type StreamFilter } from "./log-view";

const DARK_CONTROL =
  "h-7 rounded-md border-0 bg-zinc-950 px-2.5 text-xs text-zinc-100 ring-1 ring-zinc-700 ring-inset focus:ring-2 focus:ring-indigo-500 focus:outline-none";

const TOGGLE = "h-7 rounded-md px-2.5 text-xs font-medium ring-1 ring-inset";
const TOGGLE_ON = "bg-indigo-500/20 text-indigo-200 ring-indigo-400/40";
const TOGGLE_OFF = "text-zinc-300 ring-zinc-700 hover:bg-zinc-800";

const INDICATOR: Record<StreamState | "finished" | "agentOffline", { label: string; dot: string }> = {
  live: { label: "Live", dot: "bg-emerald-400" },
  connecting: { label: "Connecting…", dot: "bg-amber-400" },
  offline: { label: "Offline", dot: "bg-zinc-500" },
  finished: { label: "Complete", dot: "bg-zinc-400" },
  agentOffline: { label: "Agent offline", dot: "bg-red-400" },
};

function StreamIndicator({
  state,
  finished,
  agentOffline,
}: {
  state: StreamState;
  finished: boolean;
  agentOffline: boolean;
}) {
  // A finished run's log is complete once the replay is in; until then show the connection state.
  // Our connection may be live while the run's agent is gone: then no line can come either.
  const shown = state !== "live" ? state : finished ? "finished" : agentOffline ? "agentOffline" : "live";
  const { label, dot } = INDICATOR[shown];
  return (
    <span className="mr-1 inline-flex items-center gap-1.5 text-xs text-zinc-400">
      <span className={cn("size-1.5 rounded-full", dot)} />
      {label}
    </span>
  );
}

/** The log's header: where the stream stands, how many lines, the filters and the view toggles. */
export function LogToolbar({
  stream,
  shown,
  total,
  query,
  onQuery,
  streamFilter,
  onStreamFilter,
  follow,
  onFollow,
  canJumpToError,
  onJumpToError,
  timestamps,
  onToggleTimestamps,
  wrap,
  onToggleWrap,
  downloadHref,
}: {
  stream: { state: StreamState; finished: boolean; agentOffline: boolean };
  shown: number;
  total: number;
  query: string;
  onQuery: (query: string) => void;
  streamFilter: StreamFilter;
  onStreamFilter: (filter: StreamFilter) => void;
  follow: boolean;
  onFollow: () => void;
  canJumpToError: boolean;
  onJumpToError: () => void;
  timestamps: boolean;
  onToggleTimestamps: () => void;
  wrap: boolean;
  onToggleWrap: () => void;
  downloadHref: string;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2 border-b border-zinc-800 bg-zinc-900 px-3 py-2">
      <StreamIndicator {...stream} />
      <span className="tabular text-xs text-zinc-500" data-testid="log-line-count" data-count={total}>
        {lineCountLabel(shown, total)}
      </span>
      <div className="ml-auto flex flex-wrap items-center gap-2">
        <label htmlFor="log-search" className="sr-only">
          Search the log
        </label>
        <input
          id="log-search"
          type="search"
          placeholder="Filter lines…"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          className={cn(DARK_CONTROL, "w-full placeholder:text-zinc-500 sm:w-56")}
        />
        <label htmlFor="log-stream" className="sr-only">
          Stream
        </label>
        <select
          id="log-stream"
          value={streamFilter}
          onChange={(e) => onStreamFilter(e.target.value as StreamFilter)}
          className={cn(DARK_CONTROL, "w-32")}
        >
          <option value="all">All streams</option>
          <option value="STDERR">stderr only</option>
          <option value="SYSTEM">agent only</option>
        </select>
        <button
          type="button"
          onClick={onFollow}
          aria-pressed={follow}
          className={cn(TOGGLE, follow ? TOGGLE_ON : TOGGLE_OFF)}
        >
          {follow ? "Following" : "Follow tail"}
        </button>
        <button
          type="button"
          onClick={onJumpToError}
          disabled={!canJumpToError}
          className="h-7 rounded-md px-2.5 text-xs font-medium text-zinc-300 ring-1 ring-zinc-700 ring-inset hover:bg-zinc-800 disabled:text-zinc-600"
        >
          First error
        </button>
        {(
          [
            ["Times", timestamps, onToggleTimestamps],
            ["Wrap", wrap, onToggleWrap],
          ] as const
        ).map(([label, on, toggle]) => (
          <button
            key={label}
            type="button"
            onClick={toggle}
            aria-pressed={on}
            className={cn(TOGGLE, on ? TOGGLE_ON : TOGGLE_OFF)}
          >
            {label}
          </button>
        ))}
        <ButtonAnchor href={downloadHref} download size="xs" variant="dark">
          Download
        </ButtonAnchor>
      </div>
    </div>
  );
}
