import { beforeAll, expect, it } from "vitest";
import { cancelRun } from "../../src/server/domain/runs/cancel-run";
import { claimNextRun, expireLeases, finishRun, renewLease } from "../../src/server/queue";
import { createFakeRealtime } from "../support/fake-realtime";
import { setupTestDatabase } from "../support/test-db";
import { createWorld } from "../support/world";

// Each of the run state machine's transitions (RUN_TRANSITIONS in @fp4kit/protocol), taken by the
// statement that implements it against the real database.

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

async function queue(model: string, options: object = {}, kind: "INSPECT" | "CONVERT" = "INSPECT") {
  return database.current.prisma.run.create({
    data: {
      teamId: w.teamA.id,
      kind,
      model,
      sourcePath: `/data/${model}`,
      options,
      createdById: w.memberA.id,
    },
  });
}

async function statusOf(runId: string) {
  return (await database.current.prisma.run.findUniqueOrThrow({ where: { id: runId } })).status;
}

const agent = () => ({ id: w.agentA.id, teamId: w.teamA.id });
const finish = (runId: string) =>
  finishRun(database.current.prisma, {
    runId,
    agentId: w.agentA.id,
    status: "SUCCEEDED",
    error: null,
    inputBytes: null,
    outputBytes: null,
    summary: null,
  });

it("claims a queued run, rejecting one whose options break the schema", async () => {
  const db = database.current.prisma;
  const broken = await queue("Broken", { format: 42 }, "CONVERT");
  const good = await queue("Good");
  const result = await claimNextRun(db, agent(), { leaseSeconds: 60 });
  expect(result.rejected.map((r) => r.runId)).toEqual([broken.id]);
  expect(result.job?.runId).toBe(good.id);
  expect(await statusOf(broken.id)).toBe("FAILED");
  expect(await statusOf(good.id)).toBe("RUNNING");
  expect(await renewLease(db, { runId: good.id, agentId: w.agentA.id, leaseSeconds: 60 })).toEqual({
    held: true,
    cancelRequested: false,
  });
  await finish(good.id);
  expect(await statusOf(good.id)).toBe("SUCCEEDED");
});

it("expires lapsed leases to LOST, or CANCELLED when a cancel was asked; a lost run takes its agent's late outcome", async () => {
  const db = database.current.prisma;
  const lost = await queue("Lost");
  await claimNextRun(db, agent(), { leaseSeconds: 60 });
  const cancelled = await queue("Cancelled");
  await claimNextRun(db, agent(), { leaseSeconds: 60 });
  await db.run.update({ where: { id: cancelled.id }, data: { cancelRequestedAt: new Date() } });
  await db.run.updateMany({
    where: { id: { in: [lost.id, cancelled.id] } },
    data: { leaseExpiresAt: new Date(Date.now() - 1000) },
  });

  const expired = await expireLeases(db);
  expect(Object.fromEntries(expired.map((r) => [r.runId, r.status]))).toEqual({
    [lost.id]: "LOST",
    [cancelled.id]: "CANCELLED",
  });
  expect(await renewLease(db, { runId: lost.id, agentId: w.agentA.id, leaseSeconds: 60 })).toEqual({
    held: false,
    cancelRequested: false,
  });
  expect((await finish(lost.id)).status).toBe("SUCCEEDED");
  await expect(finish(cancelled.id)).rejects.toMatchObject({ code: "NOT_HELD" });
  expect(await statusOf(cancelled.id)).toBe("CANCELLED");
});

it("cancels a queued run at once", async () => {
  const run = await queue("Queued");
  const { realtime } = createFakeRealtime();
  await expect(
    cancelRun(database.current.prisma, realtime, { teamId: w.teamA.id, runId: run.id }),
  ).resolves.toEqual({
    cancelledImmediately: true,
  });
  expect(await statusOf(run.id)).toBe("CANCELLED");
});
