import type { OutputFolderAck, OutputFolderRequest, RunStatus } from "@fp4kit/protocol";

/**
 * What the tRPC procedures need from the realtime layer (src/server/realtime). Kept as a narrow
 * interface so router tests can pass a recording fake.
 */
export interface RealtimePort {
  /** Wake the agents that may claim this run. */
  notifyRunQueued(run: { id: string; teamId: string; agentId: string | null }): void | Promise<void>;
  /** Tell the agent running this run to stop it. */
  requestCancel(runId: string): void | Promise<void>;
  /** Disconnect a revoked agent's sockets. */
  revokeAgent(agentId: string): void | Promise<void>;
  /** Stop a removed member's open sockets from receiving the team's runs and agents. */
  revokeTeamAccess(teamId: string, userId: string): void;
  /** Show browsers a status change made outside the realtime layer (a queued run cancelled here). */
  publishRunStatus(run: { id: string; teamId: string; status: RunStatus; progress: number }): void;
  /** Ask a connected agent to measure or remove an output folder; null when no socket of it answers. */
  outputFolder(agentId: string, request: OutputFolderRequest): Promise<OutputFolderAck | null>;
}
