import type { Metadata } from "next";
import { InspectReportPage } from "../../../../../../components/reports/inspect-report-page";

export const metadata: Metadata = { title: "Inspect report" };

export default async function Page({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return <InspectReportPage runId={runId} />;
}
