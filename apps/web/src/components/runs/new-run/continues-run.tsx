"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../../lib/trpc/react";
import { useTeam } from "../../shell/team-context";
import { Alert } from "../../ui/field";

/** Which run the new one continues in its chain (it shows in both runs' lineage). */
export function ContinuesRun({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  const parent = useQuery(trpc.runs.get.queryOptions({ teamId: team.id, runId }));
  return (
    <Alert tone="blue">
      Continues{" "}
      <Link className="font-medium underline" href={team.href(`/runs/${runId}`)}>
        {parent.data
          ? `${parent.data.kind.toLowerCase()} run ${parent.data.name ?? parent.data.model}`
          : runId}
      </Link>
      : the new run joins its lineage.
    </Alert>
  );
}
