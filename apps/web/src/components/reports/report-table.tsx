import type { ReactNode } from "react";
import { cn } from "../ui/cn";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  align?: "left" | "right";
  className?: string;
}

/** A compact read-only table for report sections. */
export function ReportTable<T>({
  rows,
  columns,
  rowKey,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T, i: number) => string;
}) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50/80 text-xs text-zinc-500">
          <tr>
            {columns.map((c) => (
              <th
                key={c.header}
                className={cn(
                  "px-4 py-2 font-medium whitespace-nowrap",
                  c.align === "right" ? "text-right" : "text-left",
                )}
              >
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)} className="hover:bg-zinc-50/60">
              {columns.map((c) => (
                <td
                  key={c.header}
                  className={cn(
                    "px-4 py-1.5 align-top",
                    c.align === "right" ? "tabular text-right whitespace-nowrap" : "text-left",
                    c.className,
                  )}
                >
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
