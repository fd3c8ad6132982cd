import type { RealtimePort } from "../../src/server/realtime-port";

/** A RealtimePort that records calls, so tests can assert what the procedures announced. */
export function createFakeRealtime() {
  const calls = {
    queued: [] as { id: string; teamId: string; agentId: string | null }[],
    cancelled: [] as string[],
    revoked: [] as string[],
    statuses: [] as { id: string; status: string }[],
  };
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
    publishRunStatus: (run) => {
      calls.statuses.push({ id: run.id, status: run.status });
    },
  };
  return { realtime, calls };
}
