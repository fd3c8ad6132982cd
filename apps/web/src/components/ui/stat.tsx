import type { ReactNode } from "react";

export function Stat({ label, value, detail }: { label: string; value: ReactNode; detail?: ReactNode }) {
  return (
    <div className="rounded-lg border border-zinc-200 bg-white px-4 py-3 shadow-xs">
      <div className="text-xs font-medium text-zinc-500">{label}</div>
      <div className="tabular mt-1 truncate text-lg font-semibold text-zinc-900">{value}</div>
      {detail && <div className="tabular mt-0.5 text-xs text-zinc-500">{detail}</div>}
    </div>
  );
}
