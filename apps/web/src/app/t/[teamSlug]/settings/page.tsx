import type { Metadata } from "next";
import { TeamSettingsPage } from "../../../../components/team/team-settings-page";

export const metadata: Metadata = { title: "Team" };

export default function Page() {
  return <TeamSettingsPage />;
}
