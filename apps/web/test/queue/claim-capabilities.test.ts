import type { RunKind } from "@fp4kit/protocol";
import { beforeAll, expect, it } from "vitest";
import { claimNextRun } from "../../src/server/queue";
import { setupTestDatabase } from "../support/test-db";
import { capabilities, createWorld } from "../support/world";

// Claiming in a team of two agents that differ in what they can run (data roots, GPUs, Python
// packages, as each last reported): an agent passes over a run pinned to none that it cannot run,
// and the queue card counts the runs ahead by the same rule.

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
/** gpu-a: root /data, 1 GPU, no llm-compressor. gpu-z: roots /data and /scratch, 2 GPUs, every package. */
let gpuA: { id: string; teamId: string };
let gpuZ: { id: string; teamId: string };
let clock = Date.now() - 3_600_000;

beforeAll(async () => {
  const db = database.current.prisma;
  w = await createWorld(db);
  const a = capabilities(["/data"]);
  await db.agent.update({
    where: { id: w.agentA.id },
    data: {
      capabilities: {
        ...a,
        python: { ...a.python, packages: { ...a.python.packages, llmcompressor: null } },
      },
    },
  });
  const z = capabilities(["/data", "/scratch"]);
  const gpu = z.gpus[0];
  if (!gpu) throw new Error("the capabilities fixture has a GPU");
  const second = await db.agent.create({
    data: {
      teamId: w.teamA.id,
      name: "gpu-z",
      tokenHash: "hash-z",
      tokenPrefix: "fp4a_zzzz",
      createdById: w.ownerA.id,
      capabilities: { ...z, gpus: [gpu, { ...gpu, index: 1 }] },
      connectedAt: new Date(),
      lastSeenAt: new Date(),
    },
  });
  gpuA = { id: w.agentA.id, teamId: w.teamA.id };
  gpuZ = { id: second.id, teamId: w.teamA.id };
});

/** A run of team A queued after every earlier one (the claim order). */
async function queued(
  kind: RunKind,
  sourcePath: string,
  more: { destPath?: string; options?: object; agentId?: string } = {},
) {
  clock += 1000;
  return database.current.prisma.run.create({
    data: {
      teamId: w.teamA.id,
      kind,
      model: sourcePath.split("/").at(-1) ?? "model",
      sourcePath,
      destPath: more.destPath ?? null,
      options: more.options ?? {},
      agentId: more.agentId ?? null,
      createdById: w.memberA.id,
      createdAt: new Date(clock),
    },
  });
}

const claim = async (agent: { id: string; teamId: string }) =>
  (await claimNextRun(database.current.prisma, agent, { leaseSeconds: 60 })).job?.runId ?? null;
const queueOf = (runId: string) => w.as(w.viewerA).runs.queue({ teamId: w.teamA.id, runId });
const row = (runId: string) => database.current.prisma.run.findUniqueOrThrow({ where: { id: runId } });

it("leaves a run pinned to none for the agent that can run it, and still hands a pinned run to its agent", async () => {
  const scratch = await queued("INSPECT", "/scratch/Only-Z");
  const twoGpus = await queued("CONVERT", "/data/Big", { destPath: "/data/Big-NVFP4", options: { gpus: 2 } });
  const pathB = await queued("CALIBRATE", "/data/Big", { destPath: "/data/Big-calibrated" });
  const pinnedToA = await queued("INSPECT", "/scratch/Pinned", { agentId: gpuA.id });
  const forBoth = await queued("INSPECT", "/data/Both");
  const forNone = await queued("INSPECT", "/elsewhere/Nobody");

  // The queue card first: gpu-a passes over the three runs only gpu-z can run.
  const ofScratch = await queueOf(scratch.id);
  expect(ofScratch).toMatchObject({ position: 1, ahead: 0, reason: "about-to-start" });
  expect(ofScratch?.candidates.map((c) => [c.name, c.ahead, c.blockers])).toEqual([
    ["gpu-a", null, ["source /scratch/Only-Z is not under its data roots (/data)"]],
    ["gpu-z", 0, []],
  ]);
  expect((await queueOf(twoGpus.id))?.candidates.map((c) => [c.name, c.ahead, c.blockers])).toEqual([
    ["gpu-a", null, ["the run asks for 2 GPUs and it has 1"]],
    ["gpu-z", 1, []],
  ]);
  expect((await queueOf(pathB.id))?.candidates.map((c) => [c.name, c.ahead])).toEqual([
    ["gpu-a", null],
    ["gpu-z", 2],
  ]);
  const ofPinned = await queueOf(pinnedToA.id);
  expect(ofPinned).toMatchObject({ position: 1, ahead: 0, pinned: true, reason: "about-to-start" });
  expect(ofPinned?.candidates.map((c) => [c.name, c.ahead, c.blockers])).toEqual([
    ["gpu-a", 0, ["source /scratch/Pinned is not under its data roots (/data)"]],
  ]);
  const ofBoth = await queueOf(forBoth.id);
  expect(ofBoth).toMatchObject({ position: 2, ahead: 1, reason: "runs-ahead" });
  expect(ofBoth?.candidates.map((c) => [c.name, c.ahead])).toEqual([
    ["gpu-a", 1],
    ["gpu-z", 3],
  ]);
  const ofNone = await queueOf(forNone.id);
  expect(ofNone).toMatchObject({ reason: "none-can-run" });
  expect(ofNone?.candidates.map((c) => [c.name, c.ahead])).toEqual([
    ["gpu-a", null],
    ["gpu-z", null],
  ]);

  // gpu-a claims what the card said, in that order: its pinned run (which it will fail, saying
  // why), then the first run pinned to none that it can run, then nothing.
  expect(await claim(gpuA)).toBe(pinnedToA.id);
  expect(await claim(gpuA)).toBe(forBoth.id);
  expect(await claim(gpuA)).toBeNull();
  for (const run of [scratch, twoGpus, pathB, forNone]) {
    expect(await row(run.id)).toMatchObject({ status: "QUEUED", agentId: null });
  }

  // gpu-z takes the runs left for it; the one nobody can run stays queued and says so.
  expect(await claim(gpuZ)).toBe(scratch.id);
  expect(await claim(gpuZ)).toBe(twoGpus.id);
  expect(await claim(gpuZ)).toBe(pathB.id);
  expect(await claim(gpuZ)).toBeNull();
  expect(await row(forNone.id)).toMatchObject({ status: "QUEUED", agentId: null });
  expect(await queueOf(forNone.id)).toMatchObject({ position: 1, reason: "none-can-run" });
});

/** Ends what an earlier test left queued or running: each test starts on an empty queue. */
async function emptyQueue() {
  await database.current.prisma.run.updateMany({
    where: { teamId: w.teamA.id, status: { in: ["QUEUED", "RUNNING"] } },
    data: { status: "CANCELLED" },
  });
}

it("passes over any number of runs it cannot run to reach one it can", async () => {
  const db = database.current.prisma;
  await emptyQueue();
  const forZ = await Promise.all(
    Array.from({ length: 120 }, (_, i) => queued("INSPECT", `/scratch/Only-Z-${i}`)),
  );
  const forA = await queued("INSPECT", "/data/After-Many");
  expect((await queueOf(forA.id))?.candidates.map((c) => [c.name, c.ahead])).toEqual([
    ["gpu-a", 0],
    ["gpu-z", 120],
  ]);
  expect(await claim(gpuA)).toBe(forA.id);
  expect(await claim(gpuA)).toBeNull();
  expect(await db.run.count({ where: { id: { in: forZ.map((r) => r.id) }, status: "QUEUED" } })).toBe(120);
  expect(await claim(gpuZ)).toBe(forZ[0]?.id);
});

it("never holds a run it passes over from the agent that can run it while both claim at once", async () => {
  await emptyQueue();
  for (let round = 0; round < 20; round++) {
    const forZ = await queued("INSPECT", `/scratch/Race-${round}`);
    const forBoth = await queued("INSPECT", `/data/Race-${round}`);
    const [byA, byZ] = await Promise.all([claim(gpuA), claim(gpuZ)]);
    expect({ byA, byZ }).toEqual({ byA: forBoth.id, byZ: forZ.id });
  }
});
