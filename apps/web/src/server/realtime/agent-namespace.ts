import type { Prisma } from "@fp4kit/db";
import {
  AGENT_AUTH_ERRORS,
  AGENT_EVENTS,
  AgentHelloSchema,
  ClaimRequestSchema,
  HeartbeatSchema,
  RenewLeaseSchema,
  RunArtifactSchema,
  RunEventsBatchSchema,
  RunFinishSchema,
} from "@fp4kit/protocol";
import type { Namespace, Socket } from "socket.io";
import type { Db } from "../db";
import { appendRunEvents, claimNextRun, finishRun, renewLease, storeArtifact } from "../queue";
import { type AuthenticatedAgent, authenticateAgentToken } from "./agent-auth";
import {
  markAgentConnected,
  markAgentDisconnected,
  recordAgentHello,
  recordHeartbeat,
} from "./agent-presence";
import type { Broadcasts } from "./broadcasts";
import type { Logger } from "./logger";
import { onRequest } from "./requests";
import { agentRoom, teamAgentsRoom } from "./rooms";
import type { RunEventStream } from "./run-event-stream";
import type { RealtimeTiming } from "./timing";

interface AgentSocketData {
  agent: AuthenticatedAgent;
  /** The Agent.connectedAt this socket wrote; its disconnect clears only that value. */
  connectedAt?: Date;
  /** Per run, the last ackedSeq answered on this socket: a known-contiguous hint for the next batch. */
  ackedSeq: Map<string, number>;
}

export interface AgentNamespaceDeps {
  db: Db;
  timing: RealtimeTiming;
  broadcasts: Broadcasts;
  runEvents: RunEventStream;
  log: Logger;
}

/** `/agent`: token-authenticated daemons claiming, running and reporting runs. */
export function registerAgentNamespace(agents: Namespace, deps: AgentNamespaceDeps): void {
  agents.use(async (socket, next) => {
    try {
      const check = await authenticateAgentToken(deps.db, socket.handshake.auth?.token);
      if (!check.ok) return next(new Error(AGENT_AUTH_ERRORS[check.reason]));
      socket.data = { agent: check.agent, ackedSeq: new Map() } satisfies AgentSocketData;
      next();
    } catch (err) {
      deps.log.error("[realtime] agent authentication failed", err);
      next(new Error("agent authentication is unavailable; retrying"));
    }
  });

  agents.on("connection", (socket: Socket) => {
    void onAgentConnection(socket, deps).catch((err: unknown) => {
      deps.log.error("[realtime] setting up an agent connection failed", err);
      socket.disconnect(true);
    });
  });
}

async function onAgentConnection(socket: Socket, deps: AgentNamespaceDeps): Promise<void> {
  const data = socket.data as AgentSocketData;
  const { agent } = data;
  const { db, log, broadcasts, timing } = deps;

  // Handlers first: requests sent right after the handshake must find them.
  onRequest(
    socket,
    AGENT_EVENTS.hello,
    AgentHelloSchema,
    async ({ capabilities }) => {
      await recordAgentHello(db, agent.id, capabilities);
      // Pages show GPUs and disks from the capabilities: tell them they changed.
      broadcasts.agentStatus(agent.teamId, {
        agentId: agent.id,
        online: true,
        lastSeenAt: new Date().toISOString(),
      });
      return {
        agentId: agent.id,
        agentName: agent.name,
        heartbeatSeconds: timing.heartbeatSeconds,
        leaseSeconds: timing.leaseSeconds,
      };
    },
    log,
  );

  onRequest(
    socket,
    AGENT_EVENTS.heartbeat,
    HeartbeatSchema,
    async () => {
      const beat = await recordHeartbeat(db, agent.id);
      if (beat.revoked) {
        broadcasts.revokeAgent(agent.id, "the agent's token was revoked");
        return {};
      }
      data.connectedAt = beat.connectedAt;
      if (beat.cameBackOnline) {
        broadcasts.agentStatus(agent.teamId, {
          agentId: agent.id,
          online: true,
          lastSeenAt: beat.lastSeenAt.toISOString(),
        });
      }
      return {};
    },
    log,
  );

  onRequest(
    socket,
    AGENT_EVENTS.claim,
    ClaimRequestSchema,
    async () => {
      const result = await claimNextRun(db, agent, { leaseSeconds: timing.leaseSeconds });
      for (const r of result.rejected)
        broadcasts.runStatus(r.teamId, { runId: r.runId, status: "FAILED", progress: 0 });
      if (result.job && result.teamId) {
        broadcasts.runStatus(result.teamId, { runId: result.job.runId, status: "RUNNING", progress: 0 });
      }
      return { job: result.job };
    },
    log,
  );

  onRequest(
    socket,
    AGENT_EVENTS.renew,
    RenewLeaseSchema,
    ({ runId }) => renewLease(db, { runId, agentId: agent.id, leaseSeconds: timing.leaseSeconds }),
    log,
  );

  onRequest(
    socket,
    AGENT_EVENTS.events,
    RunEventsBatchSchema,
    async ({ runId, events }) => {
      const result = await appendRunEvents(db, {
        runId,
        agentId: agent.id,
        events,
        knownContiguousSeq: data.ackedSeq.get(runId) ?? 0,
      });
      data.ackedSeq.set(runId, result.ackedSeq);
      deps.runEvents.publish(runId, result.inserted);
      if (result.progress !== null) {
        broadcasts.runStatus(result.teamId, { runId, status: "RUNNING", progress: result.progress });
      }
      return { ackedSeq: result.ackedSeq };
    },
    log,
  );

  onRequest(
    socket,
    AGENT_EVENTS.artifact,
    RunArtifactSchema,
    async ({ runId, kind, json, markdown }) => {
      await storeArtifact(db, {
        runId,
        agentId: agent.id,
        kind,
        json: json as Prisma.InputJsonValue,
        markdown,
      });
      return {};
    },
    log,
  );

  onRequest(
    socket,
    AGENT_EVENTS.finish,
    RunFinishSchema,
    async (finish) => {
      const finished = await finishRun(db, { ...finish, agentId: agent.id });
      data.ackedSeq.delete(finish.runId);
      broadcasts.runStatuses([finished]);
      return {};
    },
    log,
  );

  socket.on("disconnect", () => {
    const { connectedAt } = data;
    if (!connectedAt) return;
    void markAgentDisconnected(db, agent.id, connectedAt)
      .then((wentOffline) => {
        if (wentOffline) {
          broadcasts.agentStatus(agent.teamId, {
            agentId: agent.id,
            online: false,
            lastSeenAt: new Date().toISOString(),
          });
        }
      })
      .catch((err: unknown) => log.error("[realtime] marking an agent offline failed", err));
  });

  await socket.join([agentRoom(agent.id), teamAgentsRoom(agent.teamId)]);
  data.connectedAt = await markAgentConnected(db, agent.id);
  broadcasts.agentStatus(agent.teamId, {
    agentId: agent.id,
    online: true,
    lastSeenAt: data.connectedAt.toISOString(),
  });
}
