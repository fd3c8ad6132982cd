import type { OutputFolderAck, OutputFolderRequest } from "@fp4kit/protocol";
import type { RealtimePort } from "../../src/server/realtime-port";

/** A RealtimePort that records calls, so tests can assert what the procedures announced. */
export function createFakeRealtime() {
  const calls = {
    queued: [] as { id: string; teamId: string; agentId: string | null }[],
    cancelled: [] as string[],
    revoked: [] as string[],
    accessRevoked: [] as { teamId: string; userId: string }[],
    statuses: [] as { id: string; status: string }[],
    outputFolders: [] as ({ agentId: string } & OutputFolderRequest)[],
  };
  /** What the agent answers to output-folder requests; null = no agent connected. */
  const agentReplies = { outputFolder: null as ((request: OutputFolderRequest) => OutputFolderAck) | null };
  const realtime: RealtimePort = {
    notifyRunQueued: (run) => {
      calls.queued.push(run);
    },
    requestCancel: (runId) => {
      calls.cancelled.push(runId);
    },
    revokeAgent: (agentId) => {
      calls.revoked.push(agentId);
    },
    revokeTeamAccess: (teamId, userId) => {
      calls.accessRevoked.push({ teamId, userId });
    },
    publishRunStatus: (run) => {
      calls.statuses.push({ id: run.id, status: run.status });
    },
    outputFolder: async (agentId, request) => {
      calls.outputFolders.push({ agentId, ...request });
      return agentReplies.outputFolder?.(request) ?? null;
    },
  };
  return { realtime, calls, agentReplies };
}
