import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import type { TestDatabase } from "@fp4kit/db/testing";
import {
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  type AgentCapabilities,
  AgentHelloReplySchema,
  ackSchema,
} from "@fp4kit/protocol";
import { io } from "socket.io-client";

const HelloAckSchema = ackSchema(AgentHelloReplySchema);

/**
 * An agent of the team that reports `roots` and every Python package a job imports, and stays
 * online without taking any run: it says hello and keeps its heartbeat on the agent socket as the
 * agent does, but never claims. Runs queued for it are accepted (queueing refuses a run no online
 * agent of the team can run) and stay queued, for scenarios about the pages rather than about
 * running jobs. `disconnect` takes it offline.
 */
export async function seedAgent(
  app: { baseUrl: string; database: TestDatabase },
  input: { teamId: string; createdById: string; name: string; roots: string[] },
) {
  const { token, tokenHash, tokenPrefix } = generateAgentToken();
  const capabilities: AgentCapabilities = {
    hostname: input.name,
    version: "0.1.0",
    platform: "linux",
    cpuCount: 64,
    gpus: [],
    kernel: { name: "cpu-native", reason: "no GPU" },
    roots: input.roots.map((path) => ({ path, freeBytes: 1e12, totalBytes: 2e12 })),
    checkpoints: [],
    python: {
      version: "3.12.3",
      packages: { torch: "2.13.0", llmcompressor: "0.9.0", vllm: null, safetensors: "0.7.0" },
    },
  };
  const agent = await app.database.prisma.agent.create({
    data: { teamId: input.teamId, name: input.name, tokenHash, tokenPrefix, createdById: input.createdById },
  });
  const socket = io(new URL(AGENT_NAMESPACE, app.baseUrl).href, {
    auth: { token },
    transports: ["websocket"],
  });
  let heartbeat: NodeJS.Timeout | undefined;
  async function greet() {
    const hello = HelloAckSchema.parse(
      await socket.timeout(30_000).emitWithAck(AGENT_EVENTS.hello, { capabilities }),
    );
    if (!hello.ok) throw new Error(hello.error);
    clearInterval(heartbeat);
    heartbeat = setInterval(
      () => socket.emit(AGENT_EVENTS.heartbeat, {}, () => {}),
      hello.heartbeatSeconds * 1000,
    );
  }
  socket.on("connect", () => {
    greet().catch((err: unknown) => console.error(`seeded agent ${input.name}: hello failed:`, err));
  });
  const online = async () =>
    (await app.database.prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).capabilities !== null;
  for (const deadline = Date.now() + 30_000; !(await online()); ) {
    if (Date.now() > deadline) throw new Error(`the seeded agent ${input.name} did not connect`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    ...agent,
    disconnect: () => {
      clearInterval(heartbeat);
      socket.disconnect();
    },
  };
}
