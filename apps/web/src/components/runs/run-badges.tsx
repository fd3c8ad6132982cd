import type { RunKind, RunStatus } from "@fp4kit/protocol";
import { Badge, Dot, type Tone } from "../ui/badge";

const STATUS: Record<RunStatus, { label: string; tone: Tone; dot: string }> = {
  QUEUED: { label: "Queued", tone: "gray", dot: "bg-zinc-400" },
  RUNNING: { label: "Running", tone: "blue", dot: "bg-sky-500" },
  SUCCEEDED: { label: "Succeeded", tone: "green", dot: "bg-emerald-500" },
  FAILED: { label: "Failed", tone: "red", dot: "bg-red-500" },
  CANCELLED: { label: "Cancelled", tone: "amber", dot: "bg-amber-500" },
  LOST: { label: "Lost", tone: "red", dot: "bg-red-400" },
};

export function RunStatusBadge({ status, cancelling }: { status: RunStatus; cancelling?: boolean }) {
  const s = STATUS[status];
  if (cancelling && status === "RUNNING") {
    return (
      <Badge tone="amber">
        <Dot className="bg-amber-500" pulse />
        Cancelling
      </Badge>
    );
  }
  return (
    <Badge tone={s.tone}>
      <Dot className={s.dot} pulse={status === "RUNNING"} />
      {s.label}
    </Badge>
  );
}

export const KIND_LABELS: Record<RunKind, string> = {
  INSPECT: "Inspect",
  CONVERT: "Convert · Path A",
  CALIBRATE: "Calibrate · Path B",
  VERIFY: "Verify",
};
const KIND_TONES: Record<RunKind, Tone> = {
  INSPECT: "teal",
  CONVERT: "indigo",
  CALIBRATE: "violet",
  VERIFY: "gray",
};

/** Short labels for dense tables: Path A is what "convert" does, Path B what "calibrate" does. */
const KIND_SHORT_LABELS: Record<RunKind, string> = {
  INSPECT: "Inspect",
  CONVERT: "Convert",
  CALIBRATE: "Calibrate",
  VERIFY: "Verify",
};

export function RunKindBadge({ kind, short }: { kind: RunKind; short?: boolean }) {
  return <Badge tone={KIND_TONES[kind]}>{(short ? KIND_SHORT_LABELS : KIND_LABELS)[kind]}</Badge>;
}

export const STATUS_LABELS: Record<RunStatus, string> = Object.fromEntries(
  Object.entries(STATUS).map(([k, v]) => [k, v.label]),
) as Record<RunStatus, string>;
