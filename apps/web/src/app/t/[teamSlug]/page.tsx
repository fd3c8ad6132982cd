import { redirect } from "next/navigation";

/** A team's home is its runs. */
export default async function Page({ params }: { params: Promise<{ teamSlug: string }> }) {
  const { teamSlug } = await params;
  redirect(`/t/${teamSlug}/runs`);
}
