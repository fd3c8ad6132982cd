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

/** What counts as an error line: anything on stderr, or a line that says error, exception or traceback. */
const ERROR_LINE = /\b(error|exception|traceback|fatal)\b/i;
function isErrorLine(entry: LogEntry): boolean {
  return entry.stream === "STDERR" || ERROR_LINE.test(entry.line);
}

/** An event time → "06:31:05.123" (UTC, as the download writes it). */
function timeOf(ts: string): string {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? ts : date.toISOString().slice(11, 23);
}

/** A viewer preference kept in this browser across runs and reloads. */
function useStoredToggle(key: string): [boolean, () => void] {
  const [on, setOn] = useState(false);
  useEffect(() => setOn(localStorage.getItem(key) === "1"), [key]);
  const toggle = useCallback(() => {
    setOn((current) => {
      localStorage.setItem(key, current ? "0" : "1");
      return !current;
    });
  }, [key]);
  return [on, toggle];
}

/** Selected lines, first to last (one line: from = to). */
interface LineRange {
  from: number;
  to: number;
}

/** "#L42" or "#L40-L45" (also "#L40-45"), the permalinks this viewer writes. */
function rangeFromHash(hash: string): LineRange | null {
  const match = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash);
  if (!match) return null;
  const a = Number(match[1]);
  const b = match[2] === undefined ? a : Number(match[2]);
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

function hashOf(range: LineRange): string {
  return range.from === range.to ? `#L${range.from}` : `#L${range.from}-L${range.to}`;
}

/**
 * The run's log: follows the tail while scrolled to the bottom, filters by text and stream, renders
 * ANSI colours, numbers lines with permalinks to a line or a range (#L42, #L40-L45: shift-click extends), shows each line's time and wraps long lines
 * on request, jumps to the first error, and links the full download.
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
  const [selection, setSelection] = useState<LineRange | null>(null);
  // A line to bring into view as soon as it has arrived (a permalink's first line).
  const [pendingScroll, setPendingScroll] = useState<number | null>(null);
  // The scrollTop this viewer set itself: its scroll event must not switch following back on.
  const ownScrollTop = useRef<number | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(480);
  const [timestamps, toggleTimestamps] = useStoredToggle("fp4kit.log.timestamps");
  const [wrap, toggleWrap] = useStoredToggle("fp4kit.log.wrap");
  const total = store.logs.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: store.logs grows in place; `total` tracks it
  const firstError = useMemo(() => store.logs.find(isErrorLine) ?? null, [store.logs, total]);

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

  const scrollToIndex = useCallback(
    (index: number) => {
      const el = scroller.current;
      if (!el) return;
      // Wrapped rows have their own heights: let the browser find the row.
      const row = wrap ? el.querySelector<HTMLElement>(`[data-index="${index}"]`) : null;
      const top = row ? row.offsetTop : index * LINE_HEIGHT;
      el.scrollTop = Math.max(0, top - el.clientHeight / 3);
      ownScrollTop.current = el.scrollTop;
      // Render the rows there now rather than on the scroll event, and show the viewer itself.
      setScrollTop(el.scrollTop);
      el.scrollIntoView({ block: "nearest" });
    },
    [wrap],
  );

  // A permalink in the address (on load, or edited later): select it and scroll there once it has
  // arrived. Declared before following so that a permalinked load never starts at the tail.
  useLayoutEffect(() => {
    const fromHash = () => {
      const range = rangeFromHash(window.location.hash);
      if (!range) return;
      setSelection(range);
      setFollow(false);
      setPendingScroll(range.from);
    };
    fromHash();
    window.addEventListener("hashchange", fromHash);
    return () => window.removeEventListener("hashchange", fromHash);
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-runs on purpose whenever lines arrive
  useLayoutEffect(() => {
    const el = scroller.current;
    if (follow && el && pendingScroll === null) {
      el.scrollTop = el.scrollHeight;
      ownScrollTop.current = el.scrollTop;
    }
  }, [follow, lines.length]);

  // Runs after every render that changes the lines, until the line to show is among them.
  // biome-ignore lint/correctness/useExhaustiveDependencies: store.logs grows in place; `total` tracks it
  useLayoutEffect(() => {
    if (pendingScroll === null) return;
    const index = lines.findIndex((l) => l.lineNo === pendingScroll);
    if (index < 0) return;
    setPendingScroll(null);
    scrollToIndex(index);
  }, [lines, total, pendingScroll, scrollToIndex]);

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
    if (ownScrollTop.current === el.scrollTop) return;
    ownScrollTop.current = null;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2;
    if (atBottom !== follow) setFollow(atBottom);
  }

  const isSelected = (lineNo: number) =>
    selection !== null && lineNo >= selection.from && lineNo <= selection.to;

  function select(range: LineRange) {
    window.history.replaceState(null, "", hashOf(range));
    setSelection(range);
    setFollow(false);
  }

  /** A click selects the line; a shift-click the range from the selection's first line to it. */
  function linkLine(event: React.MouseEvent, lineNo: number) {
    event.preventDefault();
    const anchor = event.shiftKey && selection ? selection.from : lineNo;
    select({ from: Math.min(anchor, lineNo), to: Math.max(anchor, lineNo) });
  }

  function jumpToFirstError() {
    if (!firstError) return;
    // The filters may hide it: the first error is looked for in the whole log.
    setQuery("");
    setStreamFilter("all");
    select({ from: firstError.lineNo, to: firstError.lineNo });
    setPendingScroll(firstError.lineNo);
  }

  // Fixed-height rows are virtualised; wrapped rows (any height) are all rendered, and the browser
  // skips laying out those off screen (content-visibility).
  const first = wrap ? 0 : Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = wrap
    ? lines.length
    : Math.min(lines.length, Math.ceil((scrollTop + viewportHeight) / LINE_HEIGHT) + OVERSCAN);
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
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <label htmlFor="log-search" className="sr-only">
            Search the log
          </label>
          <input
            id="log-search"
            type="search"
            placeholder="Filter lines…"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            className={cn(DARK_CONTROL, "w-full placeholder:text-zinc-500 sm:w-56")}
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
          <button
            type="button"
            onClick={jumpToFirstError}
            disabled={!firstError}
            className="h-7 rounded-md px-2.5 text-xs font-medium text-zinc-300 ring-1 ring-zinc-700 ring-inset hover:bg-zinc-800 disabled:text-zinc-600"
          >
            First error
          </button>
          {(
            [
              ["Times", timestamps, toggleTimestamps],
              ["Wrap", wrap, toggleWrap],
            ] as const
          ).map(([label, on, toggle]) => (
            <button
              key={label}
              type="button"
              onClick={toggle}
              aria-pressed={on}
              className={cn(
                "h-7 rounded-md px-2.5 text-xs font-medium ring-1 ring-inset",
                on
                  ? "bg-indigo-500/20 text-indigo-200 ring-indigo-400/40"
                  : "text-zinc-300 ring-zinc-700 hover:bg-zinc-800",
              )}
            >
              {label}
            </button>
          ))}
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
              height: wrap ? undefined : lines.length * LINE_HEIGHT,
              position: "relative",
              minWidth: "100%",
              width: wrap ? "100%" : "max-content",
            }}
          >
            <div style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}>
              {visible.map((entry, i) => (
                <div
                  key={entry.seq}
                  id={`L${entry.lineNo}`}
                  data-index={first + i}
                  data-selected={isSelected(entry.lineNo) ? "" : undefined}
                  className={cn(
                    "flex",
                    wrap ? "whitespace-pre-wrap break-all [content-visibility:auto]" : "whitespace-pre",
                    isSelected(entry.lineNo)
                      ? "bg-amber-400/15"
                      : entry.stream === "STDERR"
                        ? "bg-red-500/[0.07]"
                        : "hover:bg-white/[0.03]",
                  )}
                  style={
                    wrap
                      ? {
                          minHeight: LINE_HEIGHT,
                          lineHeight: `${LINE_HEIGHT}px`,
                          containIntrinsicSize: `auto ${LINE_HEIGHT}px`,
                        }
                      : { height: LINE_HEIGHT, lineHeight: `${LINE_HEIGHT}px` }
                  }
                >
                  <a
                    href={`#L${entry.lineNo}`}
                    onClick={(e) => linkLine(e, entry.lineNo)}
                    className="sticky left-0 shrink-0 bg-zinc-950 pr-3 pl-3 text-right text-zinc-600 select-none hover:text-zinc-300"
                    style={{ width: `calc(${gutter} + 1.5rem)` }}
                  >
                    {entry.lineNo}
                  </a>
                  {timestamps && (
                    <time
                      dateTime={entry.ts}
                      title={entry.ts}
                      className="shrink-0 pr-3 text-zinc-500 select-none"
                      data-testid="log-time"
                    >
                      {timeOf(entry.ts)}
                    </time>
                  )}
                  <span
                    className={cn(
                      "min-w-0 pr-4",
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
