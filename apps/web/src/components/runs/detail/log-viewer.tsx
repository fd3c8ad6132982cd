"use client";

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LogEntry, RunEventStore } from "../../../lib/live/run-event-store";
import type { StreamState } from "../../../lib/live/use-run-events";
import { LogLines } from "./log-lines";
import { LogToolbar } from "./log-toolbar";
import {
  clickedRange,
  filterLines,
  hashOf,
  isErrorLine,
  LINE_HEIGHT,
  type LineRange,
  rangeFromHash,
  renderedRows,
  type StreamFilter,
  viewerHeight,
} from "./log-view";

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

/**
 * The run's log: follows the tail while scrolled to the bottom, filters by text and stream, renders
 * ANSI colours, numbers lines with permalinks to a line or a range (#L42, #L40-L45: shift-click
 * extends), shows each line's time and wraps long lines on request, jumps to the first error, and
 * links the full download. This component holds the state and the scrolling; the model is
 * log-view.ts, the parts log-toolbar.tsx and log-lines.tsx.
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
  // Logs only grow: each render scans just the lines that arrived since, until one is an error.
  const errorScan = useRef<{ scanned: number; first: LogEntry | null }>({ scanned: 0, first: null });
  const firstError = useMemo(() => {
    const scan = errorScan.current;
    while (scan.first === null && scan.scanned < total) {
      const entry = store.logs[scan.scanned++];
      if (entry && isErrorLine(entry)) scan.first = entry;
    }
    return scan.first;
  }, [store.logs, total]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: store.logs grows in place; `total` tracks it
  const lines = useMemo(
    () => filterLines(store.logs, query, streamFilter),
    [store.logs, total, query, streamFilter],
  );

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

  function select(range: LineRange) {
    window.history.replaceState(null, "", hashOf(range));
    setSelection(range);
    setFollow(false);
  }

  function linkLine(event: React.MouseEvent, lineNo: number) {
    event.preventDefault();
    select(clickedRange(selection, lineNo, event.shiftKey));
  }

  function jumpToFirstError() {
    if (!firstError) return;
    // The filters may hide it: the first error is looked for in the whole log.
    setQuery("");
    setStreamFilter("all");
    select({ from: firstError.lineNo, to: firstError.lineNo });
    setPendingScroll(firstError.lineNo);
  }

  const { first, last } = renderedRows(lines.length, { wrap, scrollTop, viewportHeight });

  return (
    <div className="overflow-hidden rounded-lg border border-zinc-800 bg-zinc-950 shadow-sm">
      <LogToolbar
        stream={{ state: streamState, finished, agentOffline }}
        shown={lines.length}
        total={total}
        query={query}
        onQuery={setQuery}
        streamFilter={streamFilter}
        onStreamFilter={setStreamFilter}
        follow={follow}
        onFollow={() => setFollow(true)}
        canJumpToError={firstError !== null}
        onJumpToError={jumpToFirstError}
        timestamps={timestamps}
        onToggleTimestamps={toggleTimestamps}
        wrap={wrap}
        onToggleWrap={toggleWrap}
        downloadHref={downloadHref}
      />
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
          <LogLines
            runId={runId}
            rows={lines.slice(first, last)}
            first={first}
            count={lines.length}
            total={total}
            wrap={wrap}
            timestamps={timestamps}
            selection={selection}
            onLineClick={linkLine}
          />
        )}
      </div>
    </div>
  );
}
