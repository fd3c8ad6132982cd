/**
 * The comparison's model, free of React: the result rows (sizes, speed, quality) with the best value
 * of each marked, and the option rows with the ones that differ. compare-view.tsx renders it.
 */
import { formatBytes, formatDuration, formatRatio, formatThroughput } from "../../lib/format";
import { asQualityReport, formatErrorValue, qualityFigures } from "../../lib/reports";
import type { CompareEntry } from "../../lib/trpc/types";
import { formatOptionValue } from "../runs/detail/run-spec";

type Better = "higher" | "lower";

export interface FigureRow {
  label: string;
  /** One a run, in the order of the entries; null where the run has no such figure. */
  values: (number | null)[];
  format: (value: number | null) => string;
  /** Cells holding the best value (see bestIndexes). */
  best: Set<number>;
}

export interface OptionRow {
  key: string;
  /** One a run, as the run page shows options. */
  shown: string[];
  differs: boolean;
}

/**
 * Input bytes over wall time, for runs that read their whole input: not inspect (headers only), not a
 * failed run (its input size says nothing of how much it processed).
 */
export function averageThroughput(entry: CompareEntry): number | null {
  const { run } = entry;
  if (run.kind === "INSPECT" || run.status !== "SUCCEEDED" || !run.inputBytes || !run.durationMs) return null;
  return run.inputBytes / (run.durationMs / 1000);
}

/**
 * Which cells of a row hold the best value, among eligible runs only (a failed run is not "fastest").
 * Nothing is marked when fewer than two runs compete or all of them tie.
 */
export function bestIndexes(
  values: (number | null)[],
  better: Better | undefined,
  eligible: boolean[],
): Set<number> {
  const candidates = values.flatMap((v, i) => (v !== null && eligible[i] ? [v] : []));
  if (!better || candidates.length < 2) return new Set();
  const best = better === "higher" ? Math.max(...candidates) : Math.min(...candidates);
  if (candidates.every((v) => v === best)) return new Set();
  return new Set(values.flatMap((v, i) => (v === best && eligible[i] ? [i] : [])));
}

/** Best values are marked only between runs of one kind: an inspect is not a "faster" convert. */
export function comparableKinds(entries: CompareEntry[]): boolean {
  return new Set(entries.map((e) => e.run.kind)).size === 1;
}

/** A run's name in chart legends and downloads: its model and the end of its id. */
export function seriesName(entry: CompareEntry): string {
  return `${entry.run.model} · ${entry.run.id.slice(-6)}`;
}

/** Sizes, duration and throughput, then the quality report's figures in the report's own order. */
export function figureRows(entries: CompareEntry[]): FigureRow[] {
  const sameKind = comparableKinds(entries);
  const eligible = entries.map((e) => sameKind && e.run.status === "SUCCEEDED");
  const rows: (Omit<FigureRow, "best"> & { better: Better | undefined })[] = [];
  const push = (row: Omit<FigureRow, "best">, better?: Better) => rows.push({ ...row, better });
  push({ label: "Input size", values: entries.map((e) => e.run.inputBytes), format: (v) => formatBytes(v) });
  push(
    { label: "Output size", values: entries.map((e) => e.run.outputBytes), format: (v) => formatBytes(v) },
    "lower",
  );
  push(
    { label: "Compression ratio", values: entries.map((e) => e.run.compressionRatio), format: formatRatio },
    "higher",
  );
  push({ label: "Duration", values: entries.map((e) => e.run.durationMs), format: formatDuration }, "lower");
  push(
    { label: "Avg throughput", values: entries.map(averageThroughput), format: (v) => formatThroughput(v) },
    "higher",
  );
  // Error figures are better lower.
  const reports = entries.map((e) => asQualityReport(e.qualityReport));
  const reportFigures = reports.map((q) => (q ? qualityFigures(q) : null));
  for (const [i, figure] of (reportFigures.find((f) => f !== null) ?? []).entries()) {
    push(
      {
        label: `Quality · ${figure.label}`,
        values: reportFigures.map((f) => f?.[i]?.value ?? null),
        format: (v) => (v === null ? "—" : formatErrorValue(v)),
      },
      figure.kind === "error" ? "lower" : undefined,
    );
  }
  return rows.map(({ better, ...row }) => ({ ...row, best: bestIndexes(row.values, better, eligible) }));
}

/** What each run asked for: kind, paths, agent, lineage, then every option any of them has. */
export function optionRows(entries: CompareEntry[]): OptionRow[] {
  return [
    { key: "kind", values: entries.map((e) => e.run.kind as unknown) },
    { key: "source", values: entries.map((e) => e.run.sourcePath as unknown) },
    { key: "destination", values: entries.map((e) => e.run.destPath as unknown) },
    { key: "agent", values: entries.map((e) => (e.run.agent?.name ?? "any") as unknown) },
    {
      key: "lineage",
      values: entries.map((e) =>
        [...e.ancestors, e.run].map((n) => `${n.kind.toLowerCase()} ${n.id.slice(-8)}`).join(" → "),
      ),
    },
    ...[...new Set(entries.flatMap((e) => Object.keys(e.run.options)))].sort().map((key) => ({
      key,
      values: entries.map((e) => e.run.options[key]),
    })),
  ].map((row) => {
    const shown = row.values.map((v) => formatOptionValue(row.key, v));
    return { key: row.key, shown, differs: new Set(shown).size > 1 };
  });
}
