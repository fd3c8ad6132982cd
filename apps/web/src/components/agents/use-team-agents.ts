"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc/react";
import { useTeam } from "../shell/team-context";

/**
 * The team's agents. Connects and disconnects arrive live (socket.io); capabilities, sent right after
 * connecting, and heartbeats do not, so this polls quickly while a connected agent has not reported
 * yet and slowly otherwise.
 */
export function useTeamAgents({ includeRevoked }: { includeRevoked: boolean }) {
  const trpc = useTRPC();
  const team = useTeam();
  return useQuery({
    ...trpc.agents.list.queryOptions({ teamId: team.id, includeRevoked }),
    refetchInterval: (query) => (query.state.data?.some((a) => a.online && !a.capabilities) ? 2_000 : 30_000),
  });
}
