import type { AgentCapabilities } from "@fp4kit/protocol";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { createCaller } from "../../src/server/api/root";
import type { SessionUser } from "../../src/server/api/trpc";
import type { Db } from "../../src/server/db";
import { createFakeRealtime } from "./fake-realtime";

let counter = 0;

export async function createUser(db: Db, name: string): Promise<SessionUser> {
  counter++;
  const email = `${name.toLowerCase()}-${counter}@example.com`;
  const user = await db.user.create({ data: { id: `user-${name}-${counter}`, name, email } });
  return { id: user.id, name: user.name, email: user.email };
}

export function capabilities(roots: string[]): AgentCapabilities {
  return {
    hostname: "gpu-01",
    version: "0.1.0",
    platform: "linux",
    cpuCount: 16,
    gpus: [{ index: 0, name: "NVIDIA H100", memoryTotalBytes: 80e9 }],
    kernel: { name: "cuda", reason: "CUDA 13 driver found" },
    roots: roots.map((path) => ({ path, freeBytes: 1e12, totalBytes: 2e12 })),
    checkpoints: [],
    python: {
      version: "3.11.7",
      packages: { torch: "2.11", llmcompressor: "0.9.0", vllm: null, safetensors: "0.8" },
    },
  };
}

/**
 * Two teams with every role: A (owner, member, viewer; one agent with root /data) and B (owner;
 * one agent), plus a run of each team. Authorization tests call one team's procedures as the
 * other team's users.
 */
export async function createWorld(db: Db) {
  const ownerA = await createUser(db, "OwnerA");
  const memberA = await createUser(db, "MemberA");
  const viewerA = await createUser(db, "ViewerA");
  const ownerB = await createUser(db, "OwnerB");
  const outsider = await createUser(db, "Outsider");
  const teamA = await db.team.create({ data: { name: "Team A", slug: `team-a-${counter}` } });
  const teamB = await db.team.create({ data: { name: "Team B", slug: `team-b-${counter}` } });
  await db.membership.createMany({
    data: [
      { teamId: teamA.id, userId: ownerA.id, role: "OWNER" },
      { teamId: teamA.id, userId: memberA.id, role: "MEMBER" },
      { teamId: teamA.id, userId: viewerA.id, role: "VIEWER" },
      { teamId: teamB.id, userId: ownerB.id, role: "OWNER" },
    ],
  });
  const agentA = await db.agent.create({
    data: {
      teamId: teamA.id,
      name: "gpu-a",
      tokenHash: `hash-a-${counter}`,
      tokenPrefix: "fp4a_aaaa",
      createdById: ownerA.id,
      capabilities: capabilities(["/data"]),
      connectedAt: new Date(),
      lastSeenAt: new Date(),
    },
  });
  const agentB = await db.agent.create({
    data: {
      teamId: teamB.id,
      name: "gpu-b",
      tokenHash: `hash-b-${counter}`,
      tokenPrefix: "fp4a_bbbb",
      createdById: ownerB.id,
    },
  });
  const runA = await db.run.create({
    data: {
      teamId: teamA.id,
      kind: "CONVERT",
      status: "SUCCEEDED",
      model: "DeepSeek-V3-FP8",
      sourcePath: "/data/DeepSeek-V3-FP8",
      destPath: "/data/DeepSeek-V3-NVFP4",
      options: {
        format: "compressed-tensors",
        workers: 0,
        gpus: 1,
        shardSizeBytes: 5e9,
        ignore: [],
        quantizeAttention: false,
      },
      agentId: agentA.id,
      createdById: memberA.id,
      startedAt: new Date(Date.now() - 60_000),
      finishedAt: new Date(),
      progress: 1,
      inputBytes: 4_000_000_000n,
      outputBytes: 2_000_000_000n,
    },
  });
  const runB = await db.run.create({
    data: {
      teamId: teamB.id,
      kind: "INSPECT",
      model: "secret-model",
      sourcePath: "/b/secret-model",
      options: {},
      agentId: agentB.id,
      createdById: ownerB.id,
    },
  });

  const { realtime, calls, agentReplies } = createFakeRealtime();
  const as = (user: SessionUser | null) => createCaller({ db, realtime, session: user ? { user } : null });
  return {
    ownerA,
    memberA,
    viewerA,
    ownerB,
    outsider,
    teamA,
    teamB,
    agentA,
    agentB,
    runA,
    runB,
    calls,
    agentReplies,
    as,
  };
}

/** Asserts that a call fails with the given tRPC error code. */
export async function expectTrpcError(promise: Promise<unknown>, code: TRPCError["code"]) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
}
