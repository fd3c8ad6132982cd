import type { Metadata } from "next";
import { CreateTeamForm } from "../../../../components/team/create-team-form";
import { requireSessionUser } from "../../../../server/session";

export const metadata: Metadata = { title: "New team" };

export default async function Page() {
  await requireSessionUser("/teams/new");
  return <CreateTeamForm />;
}
