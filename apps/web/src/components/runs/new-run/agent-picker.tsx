"use client";

import { formatBytes } from "../../../lib/format";
import { missingForAnyKind } from "../../../lib/run-requirements";
import type { AgentItem } from "../../../lib/trpc/types";
import { AgentOnlineBadge, describeGpus } from "../../agents/agent-hardware";
import { cn } from "../../ui/cn";

function Option({
  checked,
  onSelect,
  children,
  id,
}: {
  checked: boolean;
  onSelect: () => void;
  children: React.ReactNode;
  id: string;
}) {
  return (
    <label
      htmlFor={id}
      className={cn(
        "flex cursor-pointer gap-3 rounded-lg border bg-white px-4 py-3 transition-colors",
        checked ? "border-indigo-500 ring-1 ring-indigo-500" : "border-zinc-200 hover:border-zinc-300",
      )}
    >
      <input
        id={id}
        type="radio"
        name="agent"
        checked={checked}
        onChange={onSelect}
        className="mt-1 accent-indigo-600"
      />
      <div className="min-w-0 flex-1">{children}</div>
    </label>
  );
}

/** Agents of the team, online ones first, with their GPUs, free disk and missing Python packages; or "any agent". */
export function AgentPicker({
  agents,
  value,
  onChange,
}: {
  agents: AgentItem[];
  value: string;
  onChange: (agentId: string) => void;
}) {
  return (
    <div className="grid gap-2 md:grid-cols-2">
      {agents.map((agent) => {
        const free = agent.capabilities?.roots.reduce((sum, r) => sum + r.freeBytes, 0);
        const missing = agent.capabilities ? missingForAnyKind(agent.capabilities) : [];
        return (
          <Option
            key={agent.id}
            id={`agent-${agent.id}`}
            checked={value === agent.id}
            onSelect={() => onChange(agent.id)}
          >
            <div className="flex items-center justify-between gap-2">
              <span className="truncate text-sm font-medium text-zinc-900">{agent.name}</span>
              <AgentOnlineBadge online={agent.online} />
            </div>
            <div className="mt-0.5 truncate text-xs text-zinc-500">
              {agent.hostname ?? "never connected"}
              {agent.runningRuns > 0 && ` · ${agent.runningRuns} running`}
            </div>
            <div className="mt-1.5 flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-zinc-600">
              <span>{describeGpus(agent.capabilities)}</span>
              {free !== undefined && <span>{formatBytes(free)} free</span>}
            </div>
            {missing.length > 0 && (
              <div className="mt-1 text-xs text-amber-700" data-testid="agent-picker-missing">
                Python lacks {missing.join(", ")}
              </div>
            )}
          </Option>
        );
      })}
      <Option id="agent-any" checked={value === ""} onSelect={() => onChange("")}>
        <div className="text-sm font-medium text-zinc-900">Any agent</div>
        <div className="mt-0.5 text-xs text-zinc-500">The first free agent of the team takes it.</div>
      </Option>
    </div>
  );
}
