import { describe, expect, it } from "vitest";
import {
  clickedRange,
  filterLines,
  hashOf,
  inRange,
  isErrorLine,
  LINE_HEIGHT,
  lineCountLabel,
  rangeFromHash,
  renderedRows,
  timeOf,
  viewerHeight,
} from "../../src/components/runs/detail/log-view";
import type { LogEntry } from "../../src/lib/live/run-event-store";

const entry = (lineNo: number, line: string, stream: LogEntry["stream"] = "STDOUT"): LogEntry => ({
  lineNo,
  seq: lineNo + 100,
  ts: "2026-01-02T06:31:05.123Z",
  stream,
  line,
});

const LOG = [
  entry(1, "claimed CONVERT run", "SYSTEM"),
  entry(2, "shard 1 of 3 written"),
  entry(3, "Traceback (most recent call last):"),
  entry(4, "warning: slow disk", "STDERR"),
  entry(5, "Shard 2 of 3 written"),
];

describe("log view model", () => {
  it("filters by text (case-insensitive) and by stream, and keeps the log itself when unfiltered", () => {
    expect(filterLines(LOG, "", "all")).toBe(LOG);
    expect(filterLines(LOG, "  SHARD ", "all").map((l) => l.lineNo)).toEqual([2, 5]);
    expect(filterLines(LOG, "", "STDERR").map((l) => l.lineNo)).toEqual([4]);
    expect(filterLines(LOG, "shard", "SYSTEM")).toEqual([]);
  });

  it("tells error lines: stderr, or words of failure", () => {
    expect(LOG.filter(isErrorLine).map((l) => l.lineNo)).toEqual([3, 4]);
    expect(isErrorLine(entry(9, "0 errors found"))).toBe(false);
    expect(isErrorLine(entry(9, "fatal: out of memory"))).toBe(true);
  });

  it("renders the rows in view and an overscan around them, or every row when lines wrap", () => {
    const view = { wrap: false, scrollTop: 100 * LINE_HEIGHT, viewportHeight: 10 * LINE_HEIGHT };
    expect(renderedRows(100_000, view)).toEqual({ first: 70, last: 140 });
    expect(renderedRows(120, view)).toEqual({ first: 70, last: 120 });
    expect(renderedRows(100_000, { ...view, scrollTop: 0 })).toEqual({ first: 0, last: 40 });
    expect(renderedRows(100_000, { ...view, wrap: true })).toEqual({ first: 0, last: 100_000 });
  });

  it("sizes the viewer to short logs, up to a fixed height", () => {
    expect(viewerHeight(0)).toBe(160);
    expect(viewerHeight(10)).toBe(10 * LINE_HEIGHT + 16);
    expect(viewerHeight(10_000)).toBe(480);
  });

  it("reads and writes line permalinks", () => {
    expect(rangeFromHash("#L42")).toEqual({ from: 42, to: 42 });
    expect(rangeFromHash("#L45-L40")).toEqual({ from: 40, to: 45 });
    expect(rangeFromHash("#L40-45")).toEqual({ from: 40, to: 45 });
    expect(rangeFromHash("#top")).toBeNull();
    expect(hashOf({ from: 42, to: 42 })).toBe("#L42");
    expect(hashOf({ from: 40, to: 45 })).toBe("#L40-L45");
  });

  it("selects a clicked line, and with shift the range from the selection's first line", () => {
    expect(clickedRange(null, 7, true)).toEqual({ from: 7, to: 7 });
    expect(clickedRange({ from: 10, to: 12 }, 7, false)).toEqual({ from: 7, to: 7 });
    expect(clickedRange({ from: 10, to: 12 }, 7, true)).toEqual({ from: 7, to: 10 });
    expect(clickedRange({ from: 10, to: 12 }, 20, true)).toEqual({ from: 10, to: 20 });
    expect(inRange({ from: 10, to: 20 }, 20)).toBe(true);
    expect(inRange(null, 20)).toBe(false);
  });

  it("labels times in UTC and line counts while filtered", () => {
    expect(timeOf("2026-01-02T06:31:05.123Z")).toBe("06:31:05.123");
    expect(timeOf("not a time")).toBe("not a time");
    expect(lineCountLabel(1204, 1204)).toBe("1,204 lines");
    expect(lineCountLabel(12, 1204)).toBe("12 of 1,204 lines");
  });
});
