"use client";

import { InspectReportSchema } from "@fp4kit/protocol";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { ButtonAnchor } from "../ui/button";
import { Alert } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { InspectReportView } from "./inspect-report-view";

export function InspectReportPage({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  const artifact = useQuery(
    trpc.runs.artifact.queryOptions({ teamId: team.id, runId, kind: "INSPECT_REPORT" }),
  );
  if (artifact.error) return <Alert>{errorMessage(artifact.error)}</Alert>;
  if (!artifact.data) return <div className="text-sm text-zinc-500">Loading report…</div>;
  // A report of another schema version (or shape) is not rendered; it still downloads as it is.
  const parsed = InspectReportSchema.safeParse(artifact.data.json);
  const report = parsed.success ? parsed.data : null;
  const href = (format: "json" | "md") => `/api/runs/${runId}/artifacts/inspect_report?format=${format}`;

  return (
    <>
      <PageHeader
        eyebrow={
          <span>
            <Link href={team.href("/runs")} className="hover:text-zinc-900">
              Runs
            </Link>{" "}
            /{" "}
            <Link href={team.href(`/runs/${runId}`)} className="font-mono hover:text-zinc-900">
              {runId}
            </Link>{" "}
            / report
          </span>
        }
        title={`Inspect report · ${report?.checkpoint.name ?? artifact.data.run.model}`}
        description={<span className="font-mono text-xs">{artifact.data.run.sourcePath}</span>}
        actions={
          <>
            <ButtonAnchor href={href("json")} download data-testid="download-report-json">
              Download JSON
            </ButtonAnchor>
            {artifact.data.markdown && (
              <ButtonAnchor href={href("md")} download data-testid="download-report-md">
                Download Markdown
              </ButtonAnchor>
            )}
          </>
        }
      />
      {report ? (
        <InspectReportView report={report} />
      ) : (
        <Alert tone="amber">
          This report uses a schema version this page cannot render; download it as JSON or Markdown.
        </Alert>
      )}
    </>
  );
}
