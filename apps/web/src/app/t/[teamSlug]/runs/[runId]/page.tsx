import type { Metadata } from "next";
import { RunDetailPage } from "../../../../../components/runs/detail/run-detail-page";

export const metadata: Metadata = { title: "Run" };

export default async function Page({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return <RunDetailPage runId={runId} />;
}
