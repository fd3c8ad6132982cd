"use client";

import Convert from "ansi-to-html";
import type { LogEntry } from "../../../lib/live/run-event-store";
import { cn } from "../../ui/cn";
import { inRange, LINE_HEIGHT, type LineRange, timeOf } from "./log-view";

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

/**
 * The rendered rows [first, first + rows.length) of `count` lines: line numbers that are
 * permalinks, optional times, ANSI colours, the selection highlighted.
 */
export function LogLines({
  runId,
  rows,
  first,
  count,
  total,
  wrap,
  timestamps,
  selection,
  onLineClick,
}: {
  runId: string;
  rows: LogEntry[];
  first: number;
  count: number;
  /** Lines in the whole log (sizes the line-number gutter). */
  total: number;
  wrap: boolean;
  timestamps: boolean;
  selection: LineRange | null;
  onLineClick: (event: React.MouseEvent, lineNo: number) => void;
}) {
  const gutter = `${String(total).length + 1}ch`;
  return (
    <div
      style={{
        height: wrap ? undefined : count * LINE_HEIGHT,
        position: "relative",
        minWidth: "100%",
        width: wrap ? "100%" : "max-content",
      }}
    >
      <div style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}>
        {rows.map((entry, i) => {
          const selected = inRange(selection, entry.lineNo);
          return (
            <div
              key={entry.seq}
              id={`L${entry.lineNo}`}
              data-index={first + i}
              data-selected={selected ? "" : undefined}
              className={cn(
                "flex",
                wrap ? "whitespace-pre-wrap break-all [content-visibility:auto]" : "whitespace-pre",
                selected
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
                onClick={(e) => onLineClick(e, entry.lineNo)}
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
          );
        })}
      </div>
    </div>
  );
}
