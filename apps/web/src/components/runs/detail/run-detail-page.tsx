"use client";

import { TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatBytes, formatNumber, formatRatio, formatThroughput } from "../../../lib/format";
import { useRunEvents } from "../../../lib/live/use-run-events";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { MetricCharts } from "../../charts/metric-charts";
import { useTeam } from "../../shell/team-context";
import { ButtonLink } from "../../ui/button";
import { Alert } from "../../ui/field";
import { PageHeader } from "../../ui/page-header";
import { RelativeTime } from "../../ui/relative-time";
import { Stat } from "../../ui/stat";
import { RunKindBadge, RunStatusBadge } from "../run-badges";
import { ConvertOutputs } from "./convert-outputs";
import { LogViewer } from "./log-viewer";
import { NextSteps } from "./next-steps";
import { QueueStatus } from "./queue-status";
import { RunActions } from "./run-actions";
import { RunLineage } from "./run-lineage";
import { RunNotes } from "./run-notes";
import { RunProgress } from "./run-progress";
import { RunSpec } from "./run-spec";
import { WatchButton } from "./watch-button";

function numberOr(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

/** Input bytes over wall time: the figure that compares runs of different sizes. */
function averageThroughput(run: RunDetail): number | null {
  if (!run.inputBytes || !run.durationMs || run.status !== "SUCCEEDED") return null;
  return run.inputBytes / (run.durationMs / 1000);
}

export function RunDetailPage({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  const run = useQuery(trpc.runs.get.queryOptions({ teamId: team.id, runId }));
  const { store, state } = useRunEvents(runId);

  if (run.error) return <Alert>{errorMessage(run.error)}</Alert>;
  if (!run.data) return <div className="text-sm text-zinc-500">Loading run…</div>;
  const r = run.data;
  const latest = store.latestMetrics();
  const isInspect = r.kind === "INSPECT";
  const hasInspectReport = r.artifacts.some((a) => a.kind === "INSPECT_REPORT");
  const outputBytes = r.outputBytes ?? latest.outputBytes ?? latest.bytesWritten ?? null;
  const agentOffline = r.status === "RUNNING" && r.agent !== null && !r.agent.online;

  return (
    <div className="space-y-5">
      <PageHeader
        eyebrow={
          <span>
            <Link href={team.href("/runs")} className="hover:text-zinc-900">
              Runs
            </Link>{" "}
            / <span className="font-mono">{r.id}</span>
          </span>
        }
        title={r.name ?? r.model}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <RunKindBadge kind={r.kind} />
            <span data-testid="run-status" data-status={r.status}>
              <RunStatusBadge status={r.status} cancelling={r.cancelRequestedAt !== null} />
            </span>
            {r.archivedAt && (
              <span className="rounded bg-amber-50 px-1.5 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-200 ring-inset">
                Archived
              </span>
            )}
            {r.name && <span className="font-mono text-xs">{r.model} ·</span>}
            <span>
              queued by {r.createdBy.name} <RelativeTime date={r.createdAt} />
            </span>
            {r.attempt > 1 && (
              <span>
                · attempt {r.attempt}
                {r.retryOfId && (
                  <>
                    {" "}
                    (retry of{" "}
                    <Link
                      className="text-indigo-600 hover:text-indigo-500"
                      href={team.href(`/runs/${r.retryOfId}`)}
                    >
                      {r.retryOfId.slice(-8)}
                    </Link>
                    )
                  </>
                )}
              </span>
            )}
          </span>
        }
        actions={
          <>
            {hasInspectReport && (
              <ButtonLink href={team.href(`/runs/${r.id}/report`)} variant="primary">
                Inspect report
              </ButtonLink>
            )}
            {r.status === "SUCCEEDED" && team.canOperate && <NextSteps run={r} />}
            {!TERMINAL_RUN_STATUSES.includes(r.status) && (
              <WatchButton runId={r.id} label={r.name ?? r.model} />
            )}
            <RunActions run={r} />
          </>
        }
      />
      {agentOffline && r.agent && (
        <Alert tone="amber">
          <span className="font-medium" data-testid="run-agent-offline">
            Agent {r.agent.name} offline since <RelativeTime date={r.agent.lastSeenAt} />.
          </span>{" "}
          Its job may still be running on the host: the log and the progress resume when the agent reconnects;
          if it does not renew the run's lease in time, the run is marked lost.
        </Alert>
      )}
      {r.error && (
        <Alert>
          <span className="font-medium">Run {r.status.toLowerCase()}:</span> {r.error}
        </Alert>
      )}
      {r.retries.length > 0 && (
        <Alert tone="blue">
          Retried as{" "}
          {r.retries.map((retry, i) => (
            <span key={retry.id}>
              {i > 0 && ", "}
              <Link className="font-medium underline" href={team.href(`/runs/${retry.id}`)}>
                attempt {retry.attempt}
              </Link>{" "}
              ({retry.status.toLowerCase()})
            </span>
          ))}
        </Alert>
      )}
      {r.status === "QUEUED" && <QueueStatus runId={r.id} />}
      <RunProgress run={r} latest={latest} />
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label="Input" value={formatBytes(r.inputBytes ?? latest.bytesRead)} />
        <Stat
          label="Output"
          value={isInspect ? "—" : formatBytes(outputBytes)}
          detail={isInspect ? "inspect writes nothing" : undefined}
        />
        <Stat
          label="Compression"
          value={formatRatio(r.compressionRatio)}
          detail={r.compressionRatio ? "FP8 input / NVFP4 output" : undefined}
        />
        {isInspect ? (
          <Stat
            label="Tensors"
            value={formatNumber(numberOr(r.summary?.tensorCount))}
            detail={typeof r.summary?.family === "string" ? r.summary.family : undefined}
          />
        ) : (
          <Stat
            label="Throughput"
            value={formatThroughput(averageThroughput(r) ?? latest.throughputBytesPerSec)}
            detail={
              averageThroughput(r)
                ? "average over the run"
                : r.status === "RUNNING"
                  ? "current"
                  : "last sample"
            }
          />
        )}
      </div>
      <LogViewer
        runId={r.id}
        store={store}
        streamState={state}
        finished={TERMINAL_RUN_STATUSES.includes(r.status)}
        agentOffline={agentOffline}
        downloadHref={`/api/runs/${r.id}/log`}
      />
      <RunLineage runId={r.id} />
      <RunNotes run={r} />
      <RunSpec run={r} />
      {store.metrics.length > 0 && !isInspect && (
        <MetricCharts samples={store.metrics} csvHref={`/api/runs/${r.id}/metrics`} />
      )}
      {r.kind === "CONVERT" && <ConvertOutputs run={r} teamId={team.id} />}
    </div>
  );
}
