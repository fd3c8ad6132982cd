"use client";

import { useWatchRun } from "../../../lib/live/use-watched-runs";
import { Button } from "../../ui/button";

/** "Notify me": a browser notification when this queued or running run ends, even from another tab. */
export function WatchButton({ runId, label }: { runId: string; label: string }) {
  const { watched, permission, toggle } = useWatchRun(runId, label);
  if (permission === "unsupported") return null;
  return (
    <Button
      onClick={() => void toggle()}
      aria-pressed={watched}
      title={
        permission === "denied"
          ? "Notifications are blocked for this site in the browser's settings"
          : undefined
      }
      disabled={permission === "denied"}
    >
      {watched ? "Watching: will notify" : "Notify me when it ends"}
    </Button>
  );
}
