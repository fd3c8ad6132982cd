"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { SERIES_COLORS } from "../charts/series-chart";
import { RunKindBadge, RunStatusBadge } from "../runs/run-badges";
import { useTeam } from "../shell/team-context";
import { ButtonLink } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { Alert } from "../ui/field";
import { CompareCharts } from "./compare-charts";
import { comparableKinds, figureRows, optionRows } from "./compare-model";

const CELL = "px-4 py-2 text-sm whitespace-nowrap";

/**
 * Runs side by side: their results with the best of each row marked, their options with the
 * differences highlighted, and their metrics overlaid. The rows come from compare-model.ts.
 */
export function CompareView({ runIds }: { runIds: string[] }) {
  const trpc = useTRPC();
  const team = useTeam();
  const [differencesOnly, setDifferencesOnly] = useState(false);
  const compare = useQuery(trpc.runs.compare.queryOptions({ teamId: team.id, runIds }));
  if (compare.error) return <Alert>{errorMessage(compare.error)}</Alert>;
  if (!compare.data) return <div className="text-sm text-zinc-500">Loading runs…</div>;
  const entries = compare.data;
  const sameKind = comparableKinds(entries);
  const figures = figureRows(entries);
  const specRows = optionRows(entries);
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
                const { best } = row;
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

      <CompareCharts entries={entries} />
    </div>
  );
}
