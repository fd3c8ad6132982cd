"use client";

import type { FoundCheckpoint, RunKind } from "@fp4kit/protocol";
import { formatBytes } from "../../../lib/format";
import type { AgentItem } from "../../../lib/trpc/types";

/** What a found checkpoint holds, by its config.json's quantization method. */
function describeQuantization(quantization: string | null): string {
  if (quantization === null) return "unquantized";
  if (quantization === "fp8") return "FP8";
  return `NVFP4 (${quantization})`;
}

/** Whether a checkpoint is what this kind of run reads: NVFP4 output for verify, else an FP8 source. */
function suits(kind: RunKind, checkpoint: FoundCheckpoint): boolean {
  const fp8 = checkpoint.quantization === "fp8";
  return kind === "VERIFY" ? !fp8 && checkpoint.quantization !== null : fp8;
}

/**
 * The checkpoints the agents found under their data roots (the chosen agent's, or every agent's
 * for "Any agent"), those this kind of run reads first. Picking one fills the source path and
 * chooses the agent that has it.
 */
export function CheckpointPicker({
  agents,
  agentId,
  kind,
  value,
  onPick,
}: {
  agents: AgentItem[];
  agentId: string;
  kind: RunKind;
  value: string;
  onPick: (pick: { agentId: string; path: string }) => void;
}) {
  const found = agents
    .filter((agent) => (agentId === "" ? agent.online : agent.id === agentId))
    .flatMap((agent) => (agent.capabilities?.checkpoints ?? []).map((checkpoint) => ({ agent, checkpoint })));
  if (found.length === 0) return null;
  // A stable sort: within each group, the order the agent found them in (nearest its roots first).
  const ordered = [
    ...found.filter(({ checkpoint }) => suits(kind, checkpoint)),
    ...found.filter(({ checkpoint }) => !suits(kind, checkpoint)),
  ];
  return (
    <div className="md:col-span-2" data-testid="checkpoint-picker">
      <div className="text-[11px] font-medium tracking-wide text-zinc-500 uppercase">
        Checkpoints under the data roots
      </div>
      <ul className="mt-1.5 grid gap-1.5 md:grid-cols-2">
        {ordered.slice(0, 12).map(({ agent, checkpoint }) => {
          const chosen = value === checkpoint.path && agentId === agent.id;
          return (
            <li key={`${agent.id}:${checkpoint.path}`}>
              <button
                type="button"
                data-path={checkpoint.path}
                aria-pressed={chosen}
                onClick={() => onPick({ agentId: agent.id, path: checkpoint.path })}
                className={
                  chosen
                    ? "w-full rounded-md border border-indigo-500 bg-indigo-50 px-3 py-2 text-left"
                    : "w-full rounded-md border border-zinc-200 bg-white px-3 py-2 text-left hover:border-zinc-300"
                }
              >
                <span className="block truncate font-mono text-xs text-zinc-900">{checkpoint.path}</span>
                <span className="mt-0.5 block text-xs text-zinc-500">
                  {describeQuantization(checkpoint.quantization)} · {formatBytes(checkpoint.weightBytes)}
                  {agentId === "" && ` · on ${agent.name}`}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
