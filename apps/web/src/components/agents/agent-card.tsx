"use client";

import type { AgentCapabilities, RunKind } from "@fp4kit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatBytes, formatDateTime } from "../../lib/format";
import {
  installCommand,
  missingForAnyKind,
  missingPackages,
  REQUIRED_PYTHON_PACKAGES,
} from "../../lib/run-requirements";
import { useTRPC } from "../../lib/trpc/react";
import type { AgentItem } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { Dialog } from "../ui/dialog";
import { RelativeTime } from "../ui/relative-time";
import { AgentOnlineBadge, DataRoots } from "./agent-hardware";

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-[11px] font-medium tracking-wide text-zinc-500 uppercase">{label}</dt>
      <dd className="mt-0.5 truncate text-sm text-zinc-900">{children}</dd>
    </div>
  );
}

/** The Python packages some job kind needs that the agent lacks, which kinds, and how to install them. */
function MissingPackages({ capabilities }: { capabilities: AgentCapabilities }) {
  const missing = missingForAnyKind(capabilities);
  if (missing.length === 0) return null;
  const kinds = (Object.keys(REQUIRED_PYTHON_PACKAGES) as RunKind[]).filter(
    (kind) => missingPackages(capabilities, kind).length > 0,
  );
  return (
    <div className="md:col-span-2 xl:col-span-4" data-testid="agent-missing-packages">
      <dt className="text-[11px] font-medium tracking-wide text-amber-700 uppercase">
        Missing Python packages
      </dt>
      <dd className="mt-0.5 text-sm text-zinc-900">
        {capabilities.python.version === null ? (
          <>No Python 3 found: {kinds.map((k) => k.toLowerCase()).join(" and ")} runs cannot start here.</>
        ) : (
          <>
            {missing.join(", ")}: {kinds.map((k) => k.toLowerCase()).join(" and ")} runs cannot start here
            until they are installed, in the Python the agent runs (its{" "}
            <code className="text-xs">python</code> setting):{" "}
            <code className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs select-all">
              {installCommand(missing)}
            </code>
          </>
        )}
      </dd>
    </div>
  );
}

export function AgentCard({ agent }: { agent: AgentItem }) {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const revoke = useMutation(
    trpc.agents.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.agents.list.pathFilter()),
    }),
  );
  const caps = agent.capabilities;
  const python = caps?.python;
  const packages = python ? Object.entries(python.packages).filter(([, v]) => v !== null) : [];

  return (
    <Card className={agent.revokedAt ? "opacity-60" : undefined}>
      <div
        className="flex flex-wrap items-start justify-between gap-3 border-b border-zinc-100 px-5 py-4"
        data-testid={`agent-${agent.name}`}
      >
        <div className="min-w-0">
          <div className="flex items-center gap-3">
            <h3 className="truncate text-base font-semibold text-zinc-900">{agent.name}</h3>
            {agent.revokedAt ? <Badge tone="red">Revoked</Badge> : <AgentOnlineBadge online={agent.online} />}
            {agent.runningRuns > 0 && <Badge tone="blue">{agent.runningRuns} running</Badge>}
          </div>
          <p className="mt-1 text-xs text-zinc-500">
            {agent.hostname ?? (agent.online ? "Connecting…" : "Never connected")}
            {agent.version && ` · agent ${agent.version}`}
            {caps && ` · ${caps.platform}, ${caps.cpuCount} CPUs`}
            {" · last heartbeat "}
            <RelativeTime date={agent.lastSeenAt} />
          </p>
        </div>
        {team.isOwner && !agent.revokedAt && (
          <Button variant="danger" size="sm" onClick={() => setConfirm(true)} disabled={revoke.isPending}>
            Revoke token
          </Button>
        )}
      </div>
      <dl className="grid gap-x-6 gap-y-4 px-5 py-4 md:grid-cols-2 xl:grid-cols-4">
        <div className="md:col-span-2">
          <dt className="text-[11px] font-medium tracking-wide text-zinc-500 uppercase">GPUs</dt>
          <dd className="mt-1 text-sm text-zinc-900">
            {!caps ? (
              <span className="text-zinc-400">Not reported yet</span>
            ) : caps.gpus.length === 0 ? (
              "None (CPU kernels)"
            ) : (
              <ul className="space-y-0.5">
                {caps.gpus.map((gpu) => (
                  <li key={gpu.index} className="tabular text-xs">
                    <span className="text-zinc-400">#{gpu.index}</span> {gpu.name} ·{" "}
                    {formatBytes(gpu.memoryTotalBytes)}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        <div className="md:col-span-2">
          <dt className="mb-1 text-[11px] font-medium tracking-wide text-zinc-500 uppercase">Data roots</dt>
          <dd>
            <DataRoots capabilities={caps} />
          </dd>
        </div>
        <Fact label="Kernel">
          {caps ? (
            <span title={caps.kernel.reason}>
              {caps.kernel.name} <span className="text-xs text-zinc-500">· {caps.kernel.reason}</span>
            </span>
          ) : (
            "—"
          )}
        </Fact>
        <Fact label="Python">
          {!python
            ? "—"
            : python.version
              ? `${python.version}${packages.length ? ` · ${packages.map(([n, v]) => `${n} ${v}`).join(", ")}` : ""}`
              : "not found"}
        </Fact>
        {caps && <MissingPackages capabilities={caps} />}
        <Fact label="Token">
          <span className="font-mono text-xs">{agent.tokenPrefix}…</span>
        </Fact>
        <Fact label="Created">
          <span title={formatDateTime(agent.createdAt)}>
            by {agent.createdBy.name}, <RelativeTime date={agent.createdAt} />
          </span>
        </Fact>
      </dl>
      <Dialog
        open={confirm}
        onClose={() => setConfirm(false)}
        title={`Revoke ${agent.name}?`}
        footer={
          <>
            <Button variant="ghost" onClick={() => setConfirm(false)}>
              Keep
            </Button>
            <Button
              variant="danger"
              onClick={() => {
                revoke.mutate({ teamId: team.id, agentId: agent.id });
                setConfirm(false);
              }}
            >
              Revoke token
            </Button>
          </>
        }
      >
        The agent is disconnected at once and its token stops working for good. Runs it holds are released
        when their lease expires.
      </Dialog>
    </Card>
  );
}
