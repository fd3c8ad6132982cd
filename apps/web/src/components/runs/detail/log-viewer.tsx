"use client";

import Convert from "ansi-to-html";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LogEntry, RunEventStore } from "../../../lib/live/run-event-store";
import type { StreamState } from "../../../lib/live/use-run-events";
import { ButtonAnchor } from "../../ui/button";
import { cn } from "../../ui/cn";

/** Fixed row height: the viewer renders only the rows in view, so 10^5-line logs stay fast. */
const LINE_HEIGHT = 20;
const OVERSCAN = 30;

type StreamFilter = "all" | "STDERR" | "SYSTEM";

const DARK_CONTROL =
  "h-7 rounded-md border-0 bg-zinc-950 px-2.5 text-xs text-zinc-100 ring-1 ring-zinc-700 ring-inset focus:ring-2 focus:ring-indigo-500 focus:outline-none";

const ansi = new Convert({ escapeXML: true, newline: false, stream: false, fg: "#e4e4e7", bg: "#09090b" });
/** ANSI → HTML per line is the costly part of rendering; lines never change, so cache by seq. */
const htmlCache = new Map<string, string>();
function lineHtml(runId: string, entry: LogEntry): string {
  const key = `${runId}:${entry.seq}`;
  let html = htmlCache.get(key);
  if (html === undefined) {
    html = ansi.toHtml(entry.line);
    if (htmlCache.size > 50_000) htmlCache.clear();
    htmlCache.set(key, html);
  }
  return html;
}

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

/** Grows with the log up to a fixed height, so short logs leave no empty black box. */
function viewerHeight(lines: number): number {
  return Math.min(480, Math.max(160, lines * LINE_HEIGHT + 16));
}

function lineFromHash(): number | null {
  const match = /^#L(\d+)$/.exec(window.location.hash);
  return match ? Number(match[1]) : null;
}

/**
 * The run's log: follows the tail while scrolled to the bottom, filters by text and stream, renders
 * ANSI colours, numbers lines with permalinks (#L42) and links the full download.
 */
export function LogViewer({
  runId,
  store,
  streamState,
  finished,
  agentOffline,
  downloadHref,
}: {
  runId: string;
  store: RunEventStore;
  streamState: StreamState;
  /** The run has ended: no more lines will come, so the indicator says so instead of "Live". */
  finished: boolean;
  /** The run's agent is offline: nothing comes until it reconnects, so the indicator says so. */
  agentOffline: boolean;
  downloadHref: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [query, setQuery] = useState("");
  const [streamFilter, setStreamFilter] = useState<StreamFilter>("all");
  const [follow, setFollow] = useState(true);
  const [highlight, setHighlight] = useState<number | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(480);
  const total = store.logs.length;

  // biome-ignore lint/correctness/useExhaustiveDependencies: store.logs grows in place; `total` tracks it
  const lines = useMemo(() => {
    const needle = query.trim().toLowerCase();
    if (!needle && streamFilter === "all") return store.logs;
    return store.logs.filter(
      (l) =>
        (streamFilter === "all" || l.stream === streamFilter) &&
        (!needle || l.line.toLowerCase().includes(needle)),
    );
  }, [store.logs, total, query, streamFilter]);

  const scrollToIndex = useCallback((index: number) => {
    const el = scroller.current;
    if (el) el.scrollTop = Math.max(0, index * LINE_HEIGHT - el.clientHeight / 3);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-runs on purpose whenever lines arrive
  useLayoutEffect(() => {
    const el = scroller.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [follow, lines.length]);

  // A #L<n> permalink: highlight that line and scroll to it once it has arrived.
  useEffect(() => {
    const target = highlight ?? lineFromHash();
    if (target === null || highlight === target) return;
    const index = lines.findIndex((l) => l.lineNo === target);
    if (index >= 0) {
      setFollow(false);
      setHighlight(target);
      scrollToIndex(index);
    }
  }, [lines, highlight, scrollToIndex]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewportHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2;
    if (atBottom !== follow) setFollow(atBottom);
  }

  function linkLine(event: React.MouseEvent, lineNo: number) {
    event.preventDefault();
    window.history.replaceState(null, "", `#L${lineNo}`);
    setHighlight(lineNo);
    setFollow(false);
  }

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + viewportHeight) / LINE_HEIGHT) + OVERSCAN);
  const visible = lines.slice(first, last);
  const gutter = `${String(total).length + 1}ch`;

  return (
    <div className="overflow-hidden rounded-lg border border-zinc-800 bg-zinc-950 shadow-sm">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-800 bg-zinc-900 px-3 py-2">
        <StreamIndicator state={streamState} finished={finished} agentOffline={agentOffline} />
        <span className="tabular text-xs text-zinc-500" data-testid="log-line-count" data-count={total}>
          {lines.length === total
            ? `${total.toLocaleString("en")} lines`
            : `${lines.length.toLocaleString("en")} of ${total.toLocaleString("en")} lines`}
        </span>
        <div className="ml-auto flex items-center gap-2">
          <label htmlFor="log-search" className="sr-only">
            Search the log
          </label>
          <input
            id="log-search"
            type="search"
            placeholder="Filter lines…"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            className={cn(DARK_CONTROL, "w-56 placeholder:text-zinc-500")}
          />
          <label htmlFor="log-stream" className="sr-only">
            Stream
          </label>
          <select
            id="log-stream"
            value={streamFilter}
            onChange={(e) => setStreamFilter(e.target.value as StreamFilter)}
            className={cn(DARK_CONTROL, "w-32")}
          >
            <option value="all">All streams</option>
            <option value="STDERR">stderr only</option>
            <option value="SYSTEM">agent only</option>
          </select>
          <button
            type="button"
            onClick={() => setFollow(true)}
            aria-pressed={follow}
            className={cn(
              "h-7 rounded-md px-2.5 text-xs font-medium ring-1 ring-inset",
              follow
                ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/40"
                : "text-zinc-300 ring-zinc-700 hover:bg-zinc-800",
            )}
          >
            {follow ? "Following" : "Follow tail"}
          </button>
          <ButtonAnchor href={downloadHref} download size="xs" variant="dark">
            Download
          </ButtonAnchor>
        </div>
      </div>
      <div
        ref={scroller}
        onScroll={onScroll}
        className="overflow-auto font-mono text-xs"
        style={{ height: viewerHeight(total) }}
        role="log"
        aria-label="Run log"
      >
        {lines.length === 0 ? (
          <div className="px-4 py-6 text-zinc-500">
            {total === 0 ? "Waiting for output…" : "No lines match."}
          </div>
        ) : (
          <div
            style={{
              height: lines.length * LINE_HEIGHT,
              position: "relative",
              minWidth: "100%",
              width: "max-content",
            }}
          >
            <div style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}>
              {visible.map((entry) => (
                <div
                  key={entry.seq}
                  id={`L${entry.lineNo}`}
                  className={cn(
                    "flex whitespace-pre",
                    entry.lineNo === highlight
                      ? "bg-amber-400/15"
                      : entry.stream === "STDERR"
                        ? "bg-red-500/[0.07]"
                        : "hover:bg-white/[0.03]",
                  )}
                  style={{ height: LINE_HEIGHT, lineHeight: `${LINE_HEIGHT}px` }}
                >
                  <a
                    href={`#L${entry.lineNo}`}
                    onClick={(e) => linkLine(e, entry.lineNo)}
                    className="sticky left-0 shrink-0 bg-zinc-950 pr-3 pl-3 text-right text-zinc-600 select-none hover:text-zinc-300"
                    style={{ width: `calc(${gutter} + 1.5rem)` }}
                  >
                    {entry.lineNo}
                  </a>
                  <span
                    className={cn(
                      "pr-4",
                      entry.stream === "SYSTEM"
                        ? "text-indigo-300"
                        : entry.stream === "STDERR"
                          ? "text-red-200"
                          : "text-zinc-200",
                    )}
                    // ansi-to-html escapes the text (escapeXML) before adding colour spans.
                    // biome-ignore lint/security/noDangerouslySetInnerHtml: escaped by ansi-to-html
                    dangerouslySetInnerHTML={{ __html: lineHtml(runId, entry) }}
                  />
                </div>
              ))}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
