"use client";

import { formatDateTime, formatRelative } from "../../lib/format";
import { useNow } from "../../lib/use-now";

/** "3 minutes ago", kept current, with the exact time on hover. */
export function RelativeTime({ date }: { date: Date | string | null | undefined }) {
  const now = useNow(15_000);
  if (!date) return <span className="text-zinc-400">—</span>;
  const iso = new Date(date).toISOString();
  return (
    <time dateTime={iso} title={formatDateTime(date)} suppressHydrationWarning>
      {formatRelative(date, now)}
    </time>
  );
}
