/**
 * The log viewer's model, free of React and the DOM: which lines the filters keep, which rows are
 * rendered, what counts as an error line, and the line permalinks (#L42, #L40-L45).
 */
import type { LogEntry } from "../../../lib/live/run-event-store";

/** Fixed row height: the viewer renders only the rows in view, so 10^5-line logs stay fast. */
export const LINE_HEIGHT = 20;
/** Rows rendered above and below the view, so a fast scroll does not show gaps. */
const OVERSCAN = 30;

export type StreamFilter = "all" | "STDERR" | "SYSTEM";

/** Selected lines, first to last (one line: from = to). */
export interface LineRange {
  from: number;
  to: number;
}

/** The lines that pass the text filter (case-insensitive) and the stream filter. */
export function filterLines(logs: LogEntry[], query: string, stream: StreamFilter): LogEntry[] {
  const needle = query.trim().toLowerCase();
  if (!needle && stream === "all") return logs;
  return logs.filter(
    (l) => (stream === "all" || l.stream === stream) && (!needle || l.line.toLowerCase().includes(needle)),
  );
}

/**
 * The rows to render, [first, last) of `count`: fixed-height rows are virtualised around the view;
 * wrapped rows (any height) are all rendered, and the browser skips laying out those off screen.
 */
export function renderedRows(
  count: number,
  view: { wrap: boolean; scrollTop: number; viewportHeight: number },
): { first: number; last: number } {
  if (view.wrap) return { first: 0, last: count };
  return {
    first: Math.max(0, Math.floor(view.scrollTop / LINE_HEIGHT) - OVERSCAN),
    last: Math.min(count, Math.ceil((view.scrollTop + view.viewportHeight) / LINE_HEIGHT) + OVERSCAN),
  };
}

/** Grows with the log up to a fixed height, so short logs leave no empty black box. */
export function viewerHeight(lines: number): number {
  return Math.min(480, Math.max(160, lines * LINE_HEIGHT + 16));
}

/** What counts as an error line: anything on stderr, or a line that says error, exception or traceback. */
const ERROR_LINE = /\b(error|exception|traceback|fatal)\b/i;
export function isErrorLine(entry: LogEntry): boolean {
  return entry.stream === "STDERR" || ERROR_LINE.test(entry.line);
}

/** An event time → "06:31:05.123" (UTC, as the download writes it). */
export function timeOf(ts: string): string {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? ts : date.toISOString().slice(11, 23);
}

/** "#L42" or "#L40-L45" (also "#L40-45"), the permalinks this viewer writes. */
export function rangeFromHash(hash: string): LineRange | null {
  const match = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash);
  if (!match) return null;
  const a = Number(match[1]);
  const b = match[2] === undefined ? a : Number(match[2]);
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

export function hashOf(range: LineRange): string {
  return range.from === range.to ? `#L${range.from}` : `#L${range.from}-L${range.to}`;
}

/** A click selects the line; a shift-click the range from the selection's first line to it. */
export function clickedRange(selection: LineRange | null, lineNo: number, shift: boolean): LineRange {
  const anchor = shift && selection ? selection.from : lineNo;
  return { from: Math.min(anchor, lineNo), to: Math.max(anchor, lineNo) };
}

export function inRange(range: LineRange | null, lineNo: number): boolean {
  return range !== null && lineNo >= range.from && lineNo <= range.to;
}

/** "1,204 lines", or "12 of 1,204 lines" while filtered. */
export function lineCountLabel(shown: number, total: number): string {
  return shown === total
    ? `${total.toLocaleString("en")} lines`
    : `${shown.toLocaleString("en")} of ${total.toLocaleString("en")} lines`;
}
