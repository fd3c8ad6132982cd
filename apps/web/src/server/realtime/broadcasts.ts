import {
  AGENT_EVENTS,
  type AgentStatusUpdate,
  BROWSER_EVENTS,
  type RunStatus,
  type RunStatusUpdate,
} from "@fp4kit/protocol";
import type { Namespace } from "socket.io";
import { agentRoom, teamAgentsRoom, teamRoom } from "./rooms";

/**
 * Everything the server pushes to rooms. Room emits go through the Postgres adapter, so they
 * reach the sockets on every web instance.
 */
export class Broadcasts {
  constructor(
    private readonly agents: Namespace,
    private readonly browsers: Namespace,
  ) {}

  runStatus(teamId: string, update: RunStatusUpdate): void {
    this.browsers.to(teamRoom(teamId)).emit(BROWSER_EVENTS.runStatus, update);
  }

  runStatuses(runs: readonly { runId: string; teamId: string; status: RunStatus; progress: number }[]): void {
    for (const r of runs)
      this.runStatus(r.teamId, { runId: r.runId, status: r.status, progress: r.progress });
  }

  agentStatus(teamId: string, update: AgentStatusUpdate): void {
    this.browsers.to(teamRoom(teamId)).emit(BROWSER_EVENTS.agentStatus, update);
  }

  /** Wakes the agents that may claim the run: its pinned agent, or every agent of the team. */
  runAvailable(run: { id: string; teamId: string; agentId: string | null }): void {
    const room = run.agentId ? agentRoom(run.agentId) : teamAgentsRoom(run.teamId);
    this.agents.to(room).emit(AGENT_EVENTS.available, { runId: run.id });
  }

  cancelRun(agentId: string, runId: string): void {
    this.agents.to(agentRoom(agentId)).emit(AGENT_EVENTS.cancel, { runId });
  }

  /** Tells the agent why, then closes its sockets on every instance. */
  revokeAgent(agentId: string, reason: string): void {
    this.agents.to(agentRoom(agentId)).emit(AGENT_EVENTS.revoked, { reason });
    this.agents.in(agentRoom(agentId)).disconnectSockets(true);
  }
}
