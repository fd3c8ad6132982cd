"use client";

import type { LayerQuality } from "@fp4kit/protocol";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatErrorValue } from "../../lib/reports";

/** Horizontal bars of each layer's relative RMS error, worst layers first. */
export function LayerErrorChart({ layers, limit = 30 }: { layers: LayerQuality[]; limit?: number }) {
  const shown = [...layers].sort((a, b) => b.relRmsError - a.relRmsError).slice(0, limit);
  return (
    <ResponsiveContainer width="100%" height={Math.max(160, shown.length * 22 + 40)}>
      <BarChart data={shown} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="#e4e4e7" strokeDasharray="3 3" horizontal={false} />
        <XAxis
          type="number"
          dataKey="relRmsError"
          tickFormatter={formatErrorValue}
          tick={{ fontSize: 11, fill: "#71717a" }}
          stroke="#d4d4d8"
        />
        <YAxis
          type="category"
          dataKey="layer"
          width={130}
          tick={{ fontSize: 11, fill: "#3f3f46", fontFamily: "ui-monospace, monospace" }}
          stroke="#d4d4d8"
          interval={0}
        />
        <Tooltip
          formatter={(value) => [formatErrorValue(Number(value)), "rel. RMS error"]}
          labelFormatter={(layer, payload) => {
            const row = payload?.[0]?.payload as LayerQuality | undefined;
            return row
              ? `${layer} · worst: ${row.worstTensor} (${formatErrorValue(row.worstRelRmsError)})`
              : String(layer);
          }}
          contentStyle={{ fontSize: 12, borderRadius: 8, maxWidth: 420, whiteSpace: "normal" }}
        />
        <Bar dataKey="relRmsError" fill="#6366f1" radius={[0, 3, 3, 0]} isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
