"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc/react";
import { useTeam } from "../shell/team-context";

/**
 * The team's agents. Connects, disconnects and capability reports arrive live (socket.io `agent:status`
 * invalidates this query); heartbeats do not, so "last seen" is refreshed by a slow poll.
 */
export function useTeamAgents({ includeRevoked }: { includeRevoked: boolean }) {
  const trpc = useTRPC();
  const team = useTeam();
  return useQuery({
    ...trpc.agents.list.queryOptions({ teamId: team.id, includeRevoked }),
    refetchInterval: 30_000,
  });
}
