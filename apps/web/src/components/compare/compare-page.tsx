"use client";

import { useSearchParams } from "next/navigation";
import { PageHeader } from "../ui/page-header";
import { ComparePicker } from "./compare-picker";
import { CompareView } from "./compare-view";

/** `?runs=a,b,c` compares those runs; fewer than two (or `?pick=1`) shows the picker. */
export function ComparePage() {
  const params = useSearchParams();
  const runIds = [...new Set((params.get("runs") ?? "").split(",").filter(Boolean))].slice(0, 8);
  const picking = runIds.length < 2 || params.get("pick") === "1";
  return (
    <>
      <PageHeader
        title="Compare runs"
        description="Options, sizes, speed and quality side by side; metric charts overlaid."
      />
      {picking ? <ComparePicker key={runIds.join(",")} initial={runIds} /> : <CompareView runIds={runIds} />}
    </>
  );
}
