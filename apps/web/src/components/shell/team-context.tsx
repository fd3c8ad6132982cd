"use client";

import { createContext, type ReactNode, use } from "react";
import { roleAtLeast, type TeamRole } from "../../lib/roles";

export interface CurrentTeam {
  id: string;
  slug: string;
  name: string;
  role: TeamRole;
}

const TeamContext = createContext<CurrentTeam | null>(null);

export function TeamProvider({ team, children }: { team: CurrentTeam; children: ReactNode }) {
  return <TeamContext value={team}>{children}</TeamContext>;
}

/** The team of the current /t/<slug> page, with helpers for what the caller's role allows. */
export function useTeam() {
  const team = use(TeamContext);
  if (!team) throw new Error("useTeam outside of a team page");
  return {
    ...team,
    href: (path: string) => `/t/${team.slug}${path}`,
    canOperate: roleAtLeast(team.role, "MEMBER"),
    isOwner: team.role === "OWNER",
  };
}
