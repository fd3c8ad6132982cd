/**
 * What a run needs from the agent that runs it, and why a given agent cannot: shared by the server
 * (a run no agent of the team can run is refused when it is queued) and the Agents page and New
 * run form (missing packages with the command that installs them). No node imports: this runs in
 * browsers too.
 */
import type { AgentCapabilities, RunKind } from "@fp4kit/protocol";
import { isUnderSomeRoot } from "./paths";

type PythonPackage = keyof AgentCapabilities["python"]["packages"];

/** The reported Python packages each kind of job imports (CALIBRATE: Path B; VERIFY: the checker). */
export const REQUIRED_PYTHON_PACKAGES: Record<RunKind, readonly PythonPackage[]> = {
  INSPECT: [],
  CONVERT: [],
  CALIBRATE: ["torch", "llmcompressor"],
  VERIFY: ["torch", "safetensors"],
};

/**
 * The reported packages a run imports: its kind's, except an input-scales calibration, which runs
 * fp4kit calibrate (torch and safetensors; transformers too, which agents do not report: the script
 * names it when it is missing).
 */
export function runPackages(kind: RunKind, options: unknown): readonly PythonPackage[] {
  const method = (options as Record<string, unknown> | null)?.method;
  return kind === "CALIBRATE" && method === "input-scales"
    ? REQUIRED_PYTHON_PACKAGES.VERIFY
    : REQUIRED_PYTHON_PACKAGES[kind];
}

/** What a run asks of its agent. */
export interface RunNeeds {
  kind: RunKind;
  /** Every path the job touches, with how the form calls it ("Source", "Destination", ...). */
  paths: readonly { label: string; path: string }[];
  /** GPUs the job asks for (0: none). */
  gpus: number;
  /** The reported Python packages the job imports (runPackages). */
  packages: readonly PythonPackage[];
}

/** An agent as the checks see it. */
export interface AgentForRun {
  name: string;
  revoked: boolean;
  /** What it reported when it last connected; null if it never did. */
  capabilities: AgentCapabilities | null;
}

/** `pip install` of the packages, in the agent's Python (the `python` of its configuration). */
export function installCommand(packages: readonly string[]): string {
  return `python3 -m pip install ${packages.join(" ")}`;
}

/** The packages a kind of job needs that the agent reported missing (all of them without Python). */
export function missingPackages(capabilities: AgentCapabilities, kind: RunKind): PythonPackage[] {
  return REQUIRED_PYTHON_PACKAGES[kind].filter((name) => capabilities.python.packages[name] === null);
}

/** The packages none of the job kinds can do without, missing on this agent. */
export function missingForAnyKind(capabilities: AgentCapabilities): PythonPackage[] {
  const needed = new Set(Object.values(REQUIRED_PYTHON_PACKAGES).flat());
  return [...needed].filter((name) => capabilities.python.packages[name] === null);
}

/**
 * Why `agent` can never run a run with these needs, in words for the user; empty when it can or
 * may. Judged on what it reported when it last connected (whether it is online now is the
 * caller's concern); one that never connected is judged when it claims the run (the agent confines
 * paths to its roots itself).
 */
export function agentBlockers(agent: AgentForRun, needs: RunNeeds): string[] {
  if (agent.revoked) return ["its token was revoked"];
  const capabilities = agent.capabilities;
  if (capabilities === null) return [];
  const reasons: string[] = [];
  const roots = capabilities.roots.map((root) => root.path);
  for (const { label, path } of needs.paths) {
    if (!isUnderSomeRoot(path, roots)) {
      reasons.push(
        `${label.toLowerCase()} ${path} is not under its data roots (${roots.join(", ") || "none"})`,
      );
    }
  }
  if (needs.packages.length > 0 && capabilities.python.version === null) {
    reasons.push(`it has no Python 3, which a ${needs.kind.toLowerCase()} job runs in`);
  } else {
    const missing = needs.packages.filter((name) => capabilities.python.packages[name] === null);
    if (missing.length > 0) {
      reasons.push(
        `its Python lacks ${missing.join(" and ")}, which a ${needs.kind.toLowerCase()} job imports (install: ${installCommand(missing)})`,
      );
    }
  }
  if (needs.gpus > capabilities.gpus.length) {
    reasons.push(
      `the run asks for ${needs.gpus} GPU${needs.gpus === 1 ? "" : "s"} and it has ${capabilities.gpus.length}`,
    );
  }
  return reasons;
}
