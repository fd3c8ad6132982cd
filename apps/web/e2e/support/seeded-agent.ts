import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import type { AgentCapabilities } from "@fp4kit/protocol";
import type { AppServer } from "./app-server";

/**
 * An agent of the team that once connected and reported `roots` and every Python package a job
 * imports, and is offline now: runs queued for it are accepted (queueing refuses a run no agent of
 * the team can run) and stay queued, for scenarios about the pages rather than about running jobs.
 */
export async function seedAgent(
  app: AppServer,
  input: { teamId: string; createdById: string; name: string; roots: string[] },
) {
  const { tokenHash, tokenPrefix } = generateAgentToken();
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
  return app.database.prisma.agent.create({
    data: {
      teamId: input.teamId,
      name: input.name,
      tokenHash,
      tokenPrefix,
      createdById: input.createdById,
      capabilities,
      lastSeenAt: new Date(),
    },
  });
}
