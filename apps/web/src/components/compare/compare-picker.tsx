"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { RunsTable } from "../runs/runs-table";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { EmptyState } from "../ui/empty-state";

/** Choose 2+ runs to compare (finished ones are the interesting ones, but any run works). */
export function ComparePicker({ initial }: { initial: string[] }) {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const [selected, setSelected] = useState(() => new Set(initial));
  const runs = useQuery(trpc.runs.list.queryOptions({ teamId: team.id, limit: 100 }));
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <Card>
      <CardHeader
        title="Pick runs to compare"
        description="Select two or more runs (up to 8)."
        actions={
          <Button
            variant="primary"
            disabled={selected.size < 2 || selected.size > 8}
            onClick={() => router.push(team.href(`/compare?runs=${[...selected].join(",")}`))}
          >
            Compare {selected.size > 0 ? `(${selected.size})` : ""}
          </Button>
        }
      />
      {runs.data && runs.data.runs.length === 0 ? (
        <EmptyState title="No runs to compare yet" />
      ) : (
        <RunsTable
          runs={runs.data?.runs ?? []}
          runHref={(id) => team.href(`/runs/${id}`)}
          selected={selected}
          onToggle={toggle}
        />
      )}
    </Card>
  );
}
