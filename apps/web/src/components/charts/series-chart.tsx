"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDuration } from "../../lib/format";

export interface ChartSeries {
  name: string;
  color: string;
  points: { t: number; v: number }[];
  /** Dashed, for a secondary quantity (e.g. bytes written next to bytes read). */
  dashed?: boolean;
}

/** Distinct, colour-blind-friendly line colours for runs or metrics. */
export const SERIES_COLORS = [
  "#6366f1",
  "#10b981",
  "#f59e0b",
  "#ef4444",
  "#0ea5e9",
  "#a855f7",
  "#14b8a6",
  "#64748b",
];

/**
 * Lines over elapsed seconds. Each series carries its own points, so runs sampled at different
 * moments overlay on one time axis (the compare view) as easily as several metrics of one run.
 * Straight segments between samples: a smoothed curve would show values never measured (above a
 * peak, below zero), and the time axis starts at the first sample, not at an unsampled zero.
 */
export function SeriesChart({
  series,
  formatValue,
  formatTick = formatValue,
  height = 220,
}: {
  series: ChartSeries[];
  /** Tooltip values. */
  formatValue: (value: number) => string;
  /** Axis ticks: shorter than tooltip values so they fit the axis. */
  formatTick?: (value: number) => string;
  height?: number;
}) {
  const hasData = series.some((s) => s.points.length > 0);
  if (!hasData) {
    return (
      <div className="grid place-items-center text-xs text-zinc-400" style={{ height }}>
        No samples yet
      </div>
    );
  }
  return (
    <ResponsiveContainer width="100%" height={height}>
      <LineChart margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid stroke="#e4e4e7" strokeDasharray="3 3" vertical={false} />
        <XAxis
          type="number"
          dataKey="t"
          domain={["dataMin", "dataMax"]}
          tickFormatter={(t: number) => formatDuration(t * 1000)}
          tick={{ fontSize: 11, fill: "#71717a" }}
          stroke="#d4d4d8"
          allowDuplicatedCategory={false}
        />
        <YAxis
          tickFormatter={(value: number) => formatTick(value)}
          tick={{ fontSize: 11, fill: "#71717a" }}
          stroke="#d4d4d8"
          width={76}
        />
        <Tooltip
          formatter={(value) => formatValue(Number(value))}
          labelFormatter={(t) => `at ${formatDuration(Number(t) * 1000)}`}
          contentStyle={{ fontSize: 12, borderRadius: 8, borderColor: "#e4e4e7" }}
        />
        {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} iconType="plainline" />}
        {series.map((s) => (
          <Line
            key={s.name}
            data={s.points}
            dataKey="v"
            name={s.name}
            stroke={s.color}
            strokeWidth={2}
            strokeDasharray={s.dashed ? "5 4" : undefined}
            dot={s.points.length === 1}
            type="linear"
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

/** Points of one numeric field of samples that have it. */
export function pointsOf<T extends { t: number }>(
  samples: readonly T[],
  pick: (sample: T) => number | undefined,
) {
  const points: { t: number; v: number }[] = [];
  for (const sample of samples) {
    const v = pick(sample);
    if (v !== undefined && Number.isFinite(v)) points.push({ t: sample.t, v });
  }
  return points;
}
