"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type ReactNode, useState } from "react";
import { formatBytes, formatDuration, formatPercent, formatRatio, formatThroughput } from "../../lib/format";
import { asQualityReport, formatErrorValue, qualityFigures } from "../../lib/reports";
import { useTRPC } from "../../lib/trpc/react";
import { type CompareEntry, errorMessage } from "../../lib/trpc/types";
import { type ChartSeries, pointsOf, SERIES_COLORS, SeriesChart } from "../charts/series-chart";
import { formatOptionValue } from "../runs/detail/run-spec";
import { RunKindBadge, RunStatusBadge } from "../runs/run-badges";
import { useTeam } from "../shell/team-context";
import { ButtonLink } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { Alert } from "../ui/field";

type Better = "higher" | "lower";

interface CompareRow {
  label: string;
  values: (number | null)[];
  format: (value: number | null) => ReactNode;
  better?: Better;
}

/**
 * Input bytes over wall time, for runs that read their whole input: not inspect (headers only), not a
 * failed run (its input size says nothing of how much it processed).
 */
function averageThroughput(entry: CompareEntry): number | null {
  const { run } = entry;
  if (run.kind === "INSPECT" || run.status !== "SUCCEEDED" || !run.inputBytes || !run.durationMs) return null;
  return run.inputBytes / (run.durationMs / 1000);
}

/**
 * Which cells of a row hold the best value, among succeeded runs only (a failed run is not "fastest").
 * Nothing is marked when fewer than two runs compete or all of them tie.
 */
function bestIndexes(
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

/** A run's name in chart legends and downloads: its model and the end of its id. */
function seriesName(entry: CompareEntry): string {
  return `${entry.run.model} · ${entry.run.id.slice(-6)}`;
}

function overlay(
  entries: CompareEntry[],
  pick: (sample: CompareEntry["metrics"][number]) => number | undefined,
): ChartSeries[] {
  return entries.map((e, i) => ({
    name: seriesName(e),
    color: SERIES_COLORS[i % SERIES_COLORS.length] ?? "#6366f1",
    points: pointsOf(e.metrics, pick),
  }));
}

const CELL = "px-4 py-2 text-sm whitespace-nowrap";

export function CompareView({ runIds }: { runIds: string[] }) {
  const trpc = useTRPC();
  const team = useTeam();
  const [differencesOnly, setDifferencesOnly] = useState(false);
  const compare = useQuery(trpc.runs.compare.queryOptions({ teamId: team.id, runIds }));
  if (compare.error) return <Alert>{errorMessage(compare.error)}</Alert>;
  if (!compare.data) return <div className="text-sm text-zinc-500">Loading runs…</div>;
  const entries = compare.data;
  const quality = entries.map((e) => asQualityReport(e.qualityReport));
  // Best values are marked only between succeeded runs of one kind: an inspect is not a "faster" convert.
  const sameKind = new Set(entries.map((e) => e.run.kind)).size === 1;
  const succeeded = entries.map((e) => sameKind && e.run.status === "SUCCEEDED");
  const gpuSeries = overlay(entries, (s) => s.gpuUtilization);

  const figures: CompareRow[] = [
    { label: "Input size", values: entries.map((e) => e.run.inputBytes), format: (v) => formatBytes(v) },
    {
      label: "Output size",
      values: entries.map((e) => e.run.outputBytes),
      format: (v) => formatBytes(v),
      better: "lower",
    },
    {
      label: "Compression ratio",
      values: entries.map((e) => e.run.compressionRatio),
      format: formatRatio,
      better: "higher",
    },
    {
      label: "Duration",
      values: entries.map((e) => e.run.durationMs),
      format: formatDuration,
      better: "lower",
    },
    {
      label: "Avg throughput",
      values: entries.map(averageThroughput),
      format: formatThroughput,
      better: "higher",
    },
  ];
  // Quality rows, in the report's own order; error figures are better lower.
  const reportFigures = quality.map((q) => (q ? qualityFigures(q) : null));
  for (const [i, figure] of (reportFigures.find((f) => f !== null) ?? []).entries()) {
    figures.push({
      label: `Quality · ${figure.label}`,
      values: reportFigures.map((f) => f?.[i]?.value ?? null),
      format: (v) => (v === null ? "—" : formatErrorValue(v)),
      better: figure.kind === "error" ? "lower" : undefined,
    });
  }

  const specRows = [
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
  const visibleSpec = differencesOnly ? specRows.filter((r) => r.differs) : specRows;

  const header = (
    <thead className="border-b border-zinc-200 bg-zinc-50/80">
      <tr>
        <th className="w-64 px-4 py-2.5 text-left text-xs font-medium text-zinc-500" />
        {entries.map((e, i) => (
          <th key={e.run.id} className="px-4 py-2.5 text-left align-top">
            <div className="flex items-center gap-2">
              <span
                className="size-2.5 shrink-0 rounded-full"
                style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }}
              />
              <Link
                href={team.href(`/runs/${e.run.id}`)}
                className="truncate text-sm font-semibold text-zinc-900 hover:text-indigo-600"
              >
                {e.run.model}
              </Link>
            </div>
            <div className="mt-1 flex items-center gap-1.5">
              <RunKindBadge kind={e.run.kind} />
              <RunStatusBadge status={e.run.status} />
            </div>
            <div className="mt-1 font-mono text-[11px] font-normal text-zinc-400">{e.run.id}</div>
          </th>
        ))}
      </tr>
    </thead>
  );

  return (
    <div className="space-y-5">
      <Card>
        <CardHeader
          title="Results"
          description={
            sameKind
              ? "Best value per row among succeeded runs in green"
              : "Runs of different kinds: no best values marked"
          }
          actions={
            <ButtonLink size="sm" href={team.href(`/compare?pick=1&runs=${runIds.join(",")}`)}>
              Change runs
            </ButtonLink>
          }
        />
        <div className="overflow-x-auto">
          <table className="w-full" data-testid="compare-results">
            {header}
            <tbody className="divide-y divide-zinc-100">
              {figures.map((row) => {
                const best = bestIndexes(row.values, row.better, succeeded);
                return (
                  <tr key={row.label}>
                    <th
                      scope="row"
                      className="px-4 py-2 text-left text-sm font-normal whitespace-nowrap text-zinc-500"
                    >
                      {row.label}
                    </th>
                    {row.values.map((v, i) => (
                      <td
                        key={entries[i]?.run.id}
                        className={cn(
                          CELL,
                          "tabular",
                          best.has(i) ? "font-semibold text-emerald-700" : "text-zinc-900",
                        )}
                      >
                        {row.format(v)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Card>

      <Card>
        <CardHeader
          title="Options"
          description={`${specRows.filter((r) => r.differs).length} of ${specRows.length} differ`}
          actions={
            <label className="flex items-center gap-2 text-xs font-medium text-zinc-700">
              <input
                type="checkbox"
                checked={differencesOnly}
                onChange={(e) => setDifferencesOnly(e.target.checked)}
                className="size-4 accent-indigo-600"
              />
              Differences only
            </label>
          }
        />
        <div className="overflow-x-auto">
          <table className="w-full">
            {header}
            <tbody className="divide-y divide-zinc-100">
              {visibleSpec.map((row) => (
                <tr key={row.key} className={row.differs ? "bg-amber-50/60" : undefined}>
                  <th scope="row" className="px-4 py-2 text-left text-sm font-normal text-zinc-500">
                    {row.key}
                  </th>
                  {row.shown.map((v, i) => (
                    <td
                      key={entries[i]?.run.id}
                      className={cn(
                        CELL,
                        "max-w-80 truncate font-mono text-xs",
                        row.differs ? "text-amber-900" : "text-zinc-700",
                      )}
                      title={v}
                    >
                      {v}
                    </td>
                  ))}
                </tr>
              ))}
              {visibleSpec.length === 0 && (
                <tr>
                  <td colSpan={entries.length + 1} className="px-4 py-6 text-center text-sm text-zinc-500">
                    The runs have identical options.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </Card>

      <div className="grid gap-4 xl:grid-cols-2">
        <Card>
          <CardHeader
            title="Throughput"
            description={
              <>
                Overlaid on time since each run's first sample. Every sample as CSV:{" "}
                {entries.map((e, i) => (
                  <span key={e.run.id}>
                    {i > 0 && ", "}
                    <a
                      href={`/api/runs/${e.run.id}/metrics`}
                      download
                      className="text-indigo-600 hover:underline"
                      data-testid="compare-metrics-csv"
                    >
                      {seriesName(e)}
                    </a>
                  </span>
                ))}
              </>
            }
          />
          <div className="px-2 py-3">
            <SeriesChart
              formatValue={formatThroughput}
              formatTick={(v) => formatThroughput(v, "short")}
              series={overlay(entries, (s) => s.throughputBytesPerSec)}
            />
          </div>
        </Card>
        <Card>
          <CardHeader title="Progress" />
          <div className="px-2 py-3">
            <SeriesChart
              formatValue={(v) => formatPercent(v, 0)}
              series={overlay(entries, (s) => s.progress)}
            />
          </div>
        </Card>
        <Card>
          <CardHeader title="Bytes written" />
          <div className="px-2 py-3">
            <SeriesChart
              formatValue={(v) => formatBytes(v)}
              formatTick={(v) => formatBytes(v, "short")}
              series={overlay(entries, (s) => s.bytesWritten)}
            />
          </div>
        </Card>
        {gpuSeries.some((series) => series.points.length > 0) && (
          <Card>
            <CardHeader title="GPU utilization" />
            <div className="px-2 py-3">
              <SeriesChart formatValue={(v) => formatPercent(v, 0)} series={gpuSeries} />
            </div>
          </Card>
        )}
      </div>
    </div>
  );
}
