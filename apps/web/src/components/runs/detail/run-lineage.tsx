"use client";

import type { RunKind } from "@fp4kit/protocol";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../../lib/trpc/react";
import type { RouterOutputs } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Card, CardHeader } from "../../ui/card";
import { KIND_LABELS, RunStatusBadge } from "../run-badges";

type LineageNode = RouterOutputs["runs"]["lineage"]["self"];

function NodeLink({ node, current }: { node: LineageNode; current?: boolean }) {
  const team = useTeam();
  const label = (
    <>
      <span className="font-medium">{KIND_LABELS[node.kind as RunKind].split(" ·")[0]}</span>{" "}
      <span className="text-zinc-500">{node.name ?? node.model}</span>{" "}
      <span className="font-mono text-[11px] text-zinc-400">{node.id.slice(-8)}</span>
    </>
  );
  return (
    <span className="inline-flex items-center gap-1.5" data-lineage-run={node.id} data-kind={node.kind}>
      {current ? (
        <span className="rounded bg-indigo-50 px-1.5 py-0.5 ring-1 ring-indigo-200 ring-inset">{label}</span>
      ) : (
        <Link href={team.href(`/runs/${node.id}`)} className="hover:text-indigo-600">
          {label}
        </Link>
      )}
      <RunStatusBadge status={node.status} />
    </span>
  );
}

/** The chain a run belongs to: what it continues, then it, then what continued it. */
export function RunLineage({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  const lineage = useQuery(trpc.runs.lineage.queryOptions({ teamId: team.id, runId }));
  if (!lineage.data) return null;
  const { ancestors, self, descendants } = lineage.data;
  if (ancestors.length === 0 && descendants.length === 0) return null;
  const depthOf = new Map<string, number>([[self.id, 0]]);
  for (const node of descendants) depthOf.set(node.id, (depthOf.get(node.parentRunId ?? "") ?? 0) + 1);
  return (
    <Card>
      <CardHeader
        title="Lineage"
        description="Inspect → convert → calibrate → verify: the runs this one continues and those that continue it."
      />
      <div className="space-y-1.5 px-5 py-4 text-sm" data-testid="run-lineage">
        <div className="flex flex-wrap items-center gap-2">
          {ancestors.map((node) => (
            <span key={node.id} className="inline-flex items-center gap-2">
              <NodeLink node={node} />
              <span className="text-zinc-400">→</span>
            </span>
          ))}
          <NodeLink node={self} current />
        </div>
        {descendants.map((node) => (
          <div key={node.id} style={{ paddingLeft: `${(depthOf.get(node.id) ?? 1) * 1.25}rem` }}>
            <span className="mr-2 text-zinc-400">↳</span>
            <NodeLink node={node} />
          </div>
        ))}
      </div>
    </Card>
  );
}
