"use client";

import type { RunKind } from "@fp4kit/protocol";
import { cn } from "../../ui/cn";

const KINDS: { kind: RunKind; title: string; description: string }[] = [
  {
    kind: "INSPECT",
    title: "Inspect",
    description: "Tensor patterns, dtypes, FP8 block sizes and projected NVFP4 size. Seconds, no GPU.",
  },
  {
    kind: "CONVERT",
    title: "Convert · Path A",
    description: "Streaming FP8 → NVFP4, weight-only, deterministic and resumable per shard.",
  },
  {
    kind: "CALIBRATE",
    title: "Calibrate",
    description:
      "Activation input scales for a W4A4 conversion (minutes), or Path B: a calibrated checkpoint from llm-compressor (hours to days).",
  },
  {
    kind: "VERIFY",
    title: "Verify",
    description: "Load an NVFP4 checkpoint, forward one block, check for NaN/Inf, generate tokens.",
  },
];

export function KindPicker({ value, onChange }: { value: RunKind; onChange: (kind: RunKind) => void }) {
  return (
    <fieldset className="grid gap-2 sm:grid-cols-2 xl:grid-cols-4">
      <legend className="sr-only">Kind</legend>
      {KINDS.map((k) => (
        <label
          key={k.kind}
          className={cn(
            "cursor-pointer rounded-lg border bg-white px-4 py-3 transition-colors has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-500",
            value === k.kind
              ? "border-indigo-500 ring-1 ring-indigo-500"
              : "border-zinc-200 hover:border-zinc-300",
          )}
        >
          <input
            type="radio"
            name="kind"
            value={k.kind}
            checked={value === k.kind}
            onChange={() => onChange(k.kind)}
            className="sr-only"
          />
          <div className="text-sm font-medium text-zinc-900">{k.title}</div>
          <div className="mt-1 text-xs leading-relaxed text-zinc-500">{k.description}</div>
        </label>
      ))}
    </fieldset>
  );
}
