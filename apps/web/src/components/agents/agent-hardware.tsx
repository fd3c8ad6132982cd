import type { AgentCapabilities } from "@fp4kit/protocol";
import { formatBytes } from "../../lib/format";
import { ProgressBar } from "../ui/progress-bar";

/** "8× NVIDIA H100 80GB HBM3 · 80 GB each", or "No GPU". */
export function describeGpus(capabilities: AgentCapabilities | null): string {
  if (!capabilities) return "Not reported yet";
  const { gpus } = capabilities;
  if (gpus.length === 0) return "No GPU";
  const names = [...new Set(gpus.map((g) => g.name))];
  const memory = gpus[0]?.memoryTotalBytes ?? 0;
  return `${gpus.length}× ${names.join(" / ")}${memory ? ` · ${formatBytes(memory)} each` : ""}`;
}

/** Each data root with its free space, as a small usage bar. */
export function DataRoots({ capabilities }: { capabilities: AgentCapabilities | null }) {
  if (!capabilities || capabilities.roots.length === 0)
    return <span className="text-zinc-400">No roots reported</span>;
  return (
    <ul className="space-y-1.5">
      {capabilities.roots.map((root) => {
        const used = root.totalBytes > 0 ? 1 - root.freeBytes / root.totalBytes : 0;
        return (
          <li key={root.path} className="min-w-0">
            <div className="flex items-baseline justify-between gap-3 text-xs">
              <span className="truncate font-mono text-zinc-700" title={root.path}>
                {root.path}
              </span>
              <span className="tabular shrink-0 text-zinc-500">
                {formatBytes(root.freeBytes)} free of {formatBytes(root.totalBytes)}
              </span>
            </div>
            <ProgressBar
              value={used}
              tone={used > 0.9 ? "red" : used > 0.75 ? "amber" : "gray"}
              className="mt-1"
            />
          </li>
        );
      })}
    </ul>
  );
}

export function AgentOnlineBadge({ online }: { online: boolean }) {
  return (
    <span
      className={`inline-flex items-center gap-1.5 text-xs font-medium ${online ? "text-emerald-700" : "text-zinc-500"}`}
    >
      <span
        className={`size-2 rounded-full ${online ? "bg-emerald-500 shadow-[0_0_0_3px] shadow-emerald-500/20" : "bg-zinc-300"}`}
      />
      {online ? "Online" : "Offline"}
    </span>
  );
}
