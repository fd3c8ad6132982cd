import { redirect } from "next/navigation";
import { listTeamsOfUser } from "../server/domain/teams/list-teams";
import { getServerRuntime } from "../server/runtime";
import { requireSessionUser } from "../server/session";

/** Landing: the first team's runs, or team creation for a user who belongs to none. */
export default async function HomePage() {
  const user = await requireSessionUser("/");
  const [team] = await listTeamsOfUser(getServerRuntime().db, user.id);
  redirect(team ? `/t/${team.slug}/runs` : "/teams/new");
}
