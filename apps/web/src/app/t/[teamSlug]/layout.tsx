import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { TeamShell } from "../../../components/shell/team-shell";
import { listTeamsOfUser } from "../../../server/domain/teams/list-teams";
import { getServerRuntime } from "../../../server/runtime";
import { requireSessionUser } from "../../../server/session";

/** Every /t/<slug> page: the caller must be signed in and a member of that team. */
export default async function TeamLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ teamSlug: string }>;
}) {
  const { teamSlug } = await params;
  const user = await requireSessionUser(`/t/${teamSlug}/runs`);
  const teams = await listTeamsOfUser(getServerRuntime().db, user.id);
  const team = teams.find((t) => t.slug === teamSlug);
  if (!team) notFound();
  return (
    <TeamShell team={team} teams={teams} user={user}>
      {children}
    </TeamShell>
  );
}
