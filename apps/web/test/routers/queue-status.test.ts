import { beforeAll, expect, it } from "vitest";
import { setupTestDatabase } from "../support/test-db";
import { capabilities, createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

/** A run of team A queued `secondsAgo` ago (the claim order), optionally pinned. */
async function queued(model: string, secondsAgo: number, agentId: string | null = null) {
  return database.current.prisma.run.create({
    data: {
      teamId: w.teamA.id,
      kind: "INSPECT",
      model,
      sourcePath: `/data/${model}`,
      options: {},
      agentId,
      createdById: w.memberA.id,
      createdAt: new Date(Date.now() - secondsAgo * 1000),
    },
  });
}

it("counts the runs each agent would claim first and says why a run waits", async () => {
  const db = database.current.prisma;
  const second = await db.agent.create({
    data: {
      teamId: w.teamA.id,
      name: "gpu-z",
      tokenHash: "hash-z",
      tokenPrefix: "fp4a_zzzz",
      createdById: w.ownerA.id,
      capabilities: capabilities(["/scratch"]),
      lastSeenAt: new Date(Date.now() - 600_000),
    },
  });
  const pinnedElsewhere = await queued("Pinned-Elsewhere", 50, second.id);
  const first = await queued("First", 40);
  const pinned = await queued("Pinned", 30, w.agentA.id);
  const cancelled = await queued("Cancelled", 20);
  await db.run.update({ where: { id: cancelled.id }, data: { cancelRequestedAt: new Date() } });
  const last = await queued("Last", 10);
  const caller = w.as(w.viewerA);
  const status = (runId: string) => caller.runs.queue({ teamId: w.teamA.id, runId });

  // gpu-a is online and idle, gpu-z offline; a run pinned to gpu-z is not in gpu-a's way, and
  // the cancelled run is in nobody's.
  expect(await status(first.id)).toMatchObject({ position: 1, ahead: 0, reason: "about-to-start" });
  const ofPinned = await status(pinned.id);
  expect(ofPinned).toMatchObject({ position: 2, pinned: true, reason: "runs-ahead" });
  expect(ofPinned?.candidates.map((c) => [c.name, c.state, c.ahead])).toEqual([["gpu-a", "idle", 1]]);
  const ofLast = await status(last.id);
  expect(ofLast).toMatchObject({ position: 3, ahead: 2, reason: "runs-ahead" });
  expect(ofLast?.candidates.map((c) => [c.name, c.state, c.ahead, c.blockers])).toEqual([
    ["gpu-a", "idle", 2, []],
    ["gpu-z", "offline", 2, ["source /data/Last is not under its data roots (/scratch)"]],
  ]);
  expect(await status(pinnedElsewhere.id)).toMatchObject({ position: 1, reason: "all-offline" });
  expect(await status(cancelled.id)).toMatchObject({ reason: "cancel-requested" });

  // A running run makes gpu-a busy; the oldest run then waits for it.
  await db.run.update({ where: { id: pinnedElsewhere.id }, data: { status: "CANCELLED" } });
  const running = await queued("Running", 60);
  await db.run.update({ where: { id: running.id }, data: { status: "RUNNING", agentId: w.agentA.id } });
  expect(await status(first.id)).toMatchObject({ position: 1, reason: "all-busy" });
  await db.agent.update({ where: { id: second.id }, data: { revokedAt: new Date() } });
  await db.run.update({ where: { id: running.id }, data: { status: "SUCCEEDED" } });
  expect(await status(first.id)).toMatchObject({ position: 1, reason: "about-to-start" });
  expect((await status(first.id))?.candidates.map((c) => c.name)).toEqual(["gpu-a"]);

  // Runs out of the queue have no queue status; other teams see nothing.
  expect(await status(running.id)).toBeNull();
  await expectTrpcError(w.as(w.ownerB).runs.queue({ teamId: w.teamB.id, runId: first.id }), "NOT_FOUND");
});
