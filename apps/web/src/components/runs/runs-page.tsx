"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeamAgents } from "../agents/use-team-agents";
import { useTeam } from "../shell/team-context";
import { Button, ButtonLink } from "../ui/button";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Alert } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { RunFilters, useRunFilters } from "./run-filters";
import { RunsTable } from "./runs-table";

export function RunsPage() {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const { filters, setFilters } = useRunFilters();
  const [selected, setSelected] = useState<Set<string>>(new Set());

  const agents = useTeamAgents({ includeRevoked: true });
  const runs = useInfiniteQuery(
    trpc.runs.list.infiniteQueryOptions(
      { teamId: team.id, ...filters, limit: 50 },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const rows = runs.data?.pages.flatMap((page) => page.runs) ?? [];
  const filtered = filters.statuses.length > 0 || filters.kinds.length > 0 || filters.agentId !== undefined;
  const onlineAgents = agents.data?.filter((a) => a.online) ?? [];

  const toggle = (runId: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(runId)) next.add(runId);
      return next;
    });
  const compare = () => router.push(team.href(`/compare?runs=${[...selected].join(",")}`));

  return (
    <>
      <PageHeader
        title="Runs"
        description="Inspections, conversions, calibrations and verifications queued on this team's agents."
        actions={
          <>
            <Button onClick={compare} disabled={selected.size < 2}>
              Compare{selected.size > 0 ? ` (${selected.size})` : ""}
            </Button>
            {team.canOperate && (
              <ButtonLink href={team.href("/runs/new")} variant="primary">
                New run
              </ButtonLink>
            )}
          </>
        }
      />
      <div className="mb-4">
        <RunFilters filters={filters} onChange={setFilters} agents={agents.data ?? []} />
      </div>
      {runs.error && <Alert>{errorMessage(runs.error)}</Alert>}
      <Card>
        {runs.isPending ? (
          <div className="px-5 py-10 text-center text-sm text-zinc-500">Loading runs…</div>
        ) : rows.length === 0 ? (
          <EmptyState
            title={filtered ? "No runs match these filters" : "No runs yet"}
            action={
              !filtered &&
              team.canOperate && (
                <ButtonLink href={team.href("/runs/new")} variant="primary">
                  Queue a run
                </ButtonLink>
              )
            }
          >
            {!filtered && (
              <>
                {onlineAgents.length > 0 ? (
                  <span className="mb-1 flex items-center justify-center gap-1.5 font-medium text-emerald-700">
                    <span className="size-2 rounded-full bg-emerald-500" />
                    {onlineAgents.map((a) => a.name).join(", ")} {onlineAgents.length === 1 ? "is" : "are"}{" "}
                    online and waiting for work.
                  </span>
                ) : (
                  <span className="mb-1 block">No agent is online yet: see the Agents page.</span>
                )}
                Start with an inspect run: it reads a checkpoint's index and headers and reports what a
                conversion would do.
              </>
            )}
          </EmptyState>
        ) : (
          <RunsTable
            runs={rows}
            runHref={(id) => team.href(`/runs/${id}`)}
            selected={selected}
            onToggle={toggle}
          />
        )}
        {runs.hasNextPage && (
          <div className="border-t border-zinc-100 px-4 py-3 text-center">
            <Button
              size="sm"
              variant="ghost"
              onClick={() => runs.fetchNextPage()}
              disabled={runs.isFetchingNextPage}
            >
              {runs.isFetchingNextPage ? "Loading…" : "Load more"}
            </Button>
          </div>
        )}
      </Card>
    </>
  );
}
