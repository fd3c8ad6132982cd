"use client";

import { useTeam } from "../shell/team-context";
import { PageHeader } from "../ui/page-header";
import { InvitationsCard } from "./invitations-card";
import { MembersCard } from "./members-card";

export function TeamSettingsPage() {
  const team = useTeam();
  return (
    <div className="max-w-4xl space-y-5">
      <PageHeader title={team.name} description={`Team settings · /t/${team.slug}`} />
      <MembersCard />
      {team.isOwner && <InvitationsCard />}
    </div>
  );
}
