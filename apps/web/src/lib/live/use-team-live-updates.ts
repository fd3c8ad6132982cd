"use client";

import {
  AgentStatusUpdateSchema,
  BROWSER_EVENTS,
  type RunStatus,
  RunStatusUpdateSchema,
} from "@fp4kit/protocol";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPC } from "../trpc/react";
import { getBrowserSocket } from "./browser-socket";

/** Coalesces the refetches a burst of status events would trigger. */
const REFRESH_DEBOUNCE_MS = 400;

type CachedRun = { id: string; status: RunStatus; progress: number };
type RunPages = { pages: { runs: CachedRun[] }[] };

/**
 * Keeps the team's cached runs and agents current. A progress tick of a run whose status the cache
 * already knows is patched in place; anything else (a new run, a status change, an agent that came
 * or went) refetches the runs and agents, since timestamps, sizes and list order change with it.
 */
export function useTeamLiveUpdates(teamId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();

  useEffect(() => {
    const socket = getBrowserSocket();
    const subscribe = () => socket.emit(BROWSER_EVENTS.subscribeTeam, { teamId }, () => {});
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    const refreshRuns = () => {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => {
        void queryClient.invalidateQueries(trpc.runs.pathFilter());
        void queryClient.invalidateQueries(trpc.agents.list.pathFilter());
      }, REFRESH_DEBOUNCE_MS);
    };

    const onRunStatus = (payload: unknown) => {
      const parsed = RunStatusUpdateSchema.safeParse(payload);
      if (!parsed.success) return;
      const { runId, status, progress } = parsed.data;
      if (cachedStatusOf(queryClient, trpc, teamId, runId) !== status) {
        refreshRuns();
        return;
      }
      const patch = <T extends CachedRun>(run: T): T => (run.id === runId ? { ...run, progress } : run);
      queryClient.setQueriesData<RunPages>(trpc.runs.list.pathFilter(), (data) =>
        data ? { ...data, pages: data.pages.map((page) => ({ ...page, runs: page.runs.map(patch) })) } : data,
      );
      queryClient.setQueryData(trpc.runs.get.queryKey({ teamId, runId }), (run) => (run ? patch(run) : run));
    };
    // Runs show whether their agent is online ("agent offline since …"): refetch them as well.
    const onAgentStatus = (payload: unknown) => {
      if (AgentStatusUpdateSchema.safeParse(payload).success) refreshRuns();
    };

    socket.on("connect", subscribe);
    socket.on(BROWSER_EVENTS.runStatus, onRunStatus);
    socket.on(BROWSER_EVENTS.agentStatus, onAgentStatus);
    if (socket.connected) subscribe();
    return () => {
      clearTimeout(refreshTimer);
      socket.off("connect", subscribe);
      socket.off(BROWSER_EVENTS.runStatus, onRunStatus);
      socket.off(BROWSER_EVENTS.agentStatus, onAgentStatus);
    };
  }, [teamId, trpc, queryClient]);
}

/** The status the cache holds for a run (detail or any loaded list page), if it holds the run at all. */
function cachedStatusOf(
  queryClient: QueryClient,
  trpc: ReturnType<typeof useTRPC>,
  teamId: string,
  runId: string,
): RunStatus | undefined {
  const detail = queryClient.getQueryData(trpc.runs.get.queryKey({ teamId, runId }));
  if (detail) return detail.status;
  for (const [, data] of queryClient.getQueriesData<RunPages>(trpc.runs.list.pathFilter())) {
    for (const page of data?.pages ?? []) {
      const run = page.runs.find((r) => r.id === runId);
      if (run) return run.status;
    }
  }
  return undefined;
}
