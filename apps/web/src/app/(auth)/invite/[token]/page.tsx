import type { Metadata } from "next";
import { AcceptInvitation } from "../../../../components/team/accept-invitation";
import { requireSessionUser } from "../../../../server/session";

export const metadata: Metadata = { title: "Invitation" };

/** Signed-out visitors sign in or up first and come back here (the sign-in page keeps ?next=). */
export default async function Page({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  await requireSessionUser(`/invite/${token}`);
  return <AcceptInvitation token={token} />;
}
