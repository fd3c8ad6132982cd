"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeamAgents } from "../agents/use-team-agents";
import { useTeam } from "../shell/team-context";
import { Button, ButtonLink } from "../ui/button";
import { Card } from "../ui/card";
import { Dialog } from "../ui/dialog";
import { EmptyState } from "../ui/empty-state";
import { Alert } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { isFiltered, RunFilters, useRunFilters } from "./run-filters";
import { RunsTable } from "./runs-table";

export function RunsPage() {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const { filters, setFilters } = useRunFilters();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState(false);
  const queryClient = useQueryClient();
  const afterChange = async () => {
    setSelected(new Set());
    await queryClient.invalidateQueries(trpc.runs.pathFilter());
  };
  const archive = useMutation(trpc.runs.archive.mutationOptions({ onSuccess: afterChange }));
  const remove = useMutation(
    trpc.runs.delete.mutationOptions({
      onSuccess: async () => {
        setConfirmDelete(false);
        await afterChange();
      },
    }),
  );

  const agents = useTeamAgents({ includeRevoked: true });
  const runs = useInfiniteQuery(
    trpc.runs.list.infiniteQueryOptions(
      { teamId: team.id, ...filters, limit: 50 },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const rows = runs.data?.pages.flatMap((page) => page.runs) ?? [];
  const filtered = isFiltered(filters);
  const selectedRuns = rows.filter((run) => selected.has(run.id));
  const runIds = [...selected];
  const actionError = archive.error ?? remove.error;
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
            {team.canOperate && selected.size > 0 && (
              <>
                {selectedRuns.some((run) => run.archivedAt === null) ? (
                  <Button
                    onClick={() => archive.mutate({ teamId: team.id, runIds, archived: true })}
                    disabled={archive.isPending}
                  >
                    Archive ({selected.size})
                  </Button>
                ) : (
                  <Button
                    onClick={() => archive.mutate({ teamId: team.id, runIds, archived: false })}
                    disabled={archive.isPending}
                  >
                    Restore ({selected.size})
                  </Button>
                )}
                <Button variant="danger" onClick={() => setConfirmDelete(true)}>
                  Delete ({selected.size})
                </Button>
              </>
            )}
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
      {actionError && (
        <div className="mb-4">
          <Alert>{errorMessage(actionError)}</Alert>
        </div>
      )}
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
            sorting={{
              sort: filters.sort,
              dir: filters.dir,
              onSort: (sort, dir) => setFilters({ ...filters, sort, dir }),
            }}
            onTag={(tag) => setFilters({ ...filters, tag })}
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
      <Dialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={selected.size === 1 ? "Delete this run?" : `Delete ${selected.size} runs?`}
        footer={
          <>
            <Button variant="ghost" onClick={() => setConfirmDelete(false)}>
              Keep
            </Button>
            <Button
              variant="danger"
              onClick={() => remove.mutate({ teamId: team.id, runIds })}
              disabled={remove.isPending}
            >
              Delete records
            </Button>
          </>
        }
      >
        <p>
          Their settings, logs, metrics and reports are deleted for everyone in the team. Files they wrote
          stay on the agents' disks; to remove a run's output too, delete it from its own page.
        </p>
        <ul className="mt-2 list-disc pl-5 font-mono text-xs">
          {selectedRuns.map((run) => (
            <li key={run.id}>
              {run.name ?? run.model} ({run.id.slice(-8)})
            </li>
          ))}
        </ul>
      </Dialog>
    </>
  );
}
