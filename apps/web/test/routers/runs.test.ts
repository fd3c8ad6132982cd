import { beforeAll, describe, expect, it } from "vitest";
import { setupTestDatabase } from "../support/test-db";
import { capabilities, createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

const inspectSpec = (agentId: string | null, sourcePath = "/data/DeepSeek-V3-FP8") => ({
  agentId,
  kind: "INSPECT" as const,
  sourcePath,
  destPath: null,
  options: {},
});

describe("runs.list", () => {
  it("lists only the caller's team runs, with derived sizes", async () => {
    const { runs } = await w.as(w.viewerA).runs.list({ teamId: w.teamA.id });
    expect(runs.map((r) => r.id)).toContain(w.runA.id);
    expect(runs.map((r) => r.id)).not.toContain(w.runB.id);
    const runA = runs.find((r) => r.id === w.runA.id);
    expect(runA?.compressionRatio).toBe(2);
    expect(runA?.inputBytes).toBe(4_000_000_000);
    expect(runA?.createdBy.name).toBe("MemberA");
  });

  it("filters by status, kind and agent", async () => {
    const caller = w.as(w.ownerA);
    expect((await caller.runs.list({ teamId: w.teamA.id, statuses: ["FAILED"] })).runs).toHaveLength(0);
    expect((await caller.runs.list({ teamId: w.teamA.id, kinds: ["CONVERT"] })).runs.length).toBeGreaterThan(
      0,
    );
    expect((await caller.runs.list({ teamId: w.teamA.id, agentId: w.agentB.id })).runs).toHaveLength(0);
  });

  it("pages with a cursor", async () => {
    const caller = w.as(w.memberA);
    for (let i = 0; i < 3; i++)
      await caller.runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id) });
    const first = await caller.runs.list({ teamId: w.teamA.id, limit: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await caller.runs.list({ teamId: w.teamA.id, limit: 2, cursor: first.nextCursor });
    expect(second.runs.map((r) => r.id)).not.toContain(first.runs[0]?.id);
  });

  it("refuses non-members and anonymous callers", async () => {
    await expectTrpcError(w.as(w.ownerB).runs.list({ teamId: w.teamA.id }), "FORBIDDEN");
    await expectTrpcError(w.as(w.outsider).runs.list({ teamId: w.teamA.id }), "FORBIDDEN");
    await expectTrpcError(w.as(null).runs.list({ teamId: w.teamA.id }), "UNAUTHORIZED");
  });
});

describe("runs.get", () => {
  it("returns a run of the team with its artifacts", async () => {
    const run = await w.as(w.viewerA).runs.get({ teamId: w.teamA.id, runId: w.runA.id });
    expect(run.model).toBe("DeepSeek-V3-FP8");
    expect(run.artifacts).toEqual([]);
  });

  it("treats another team's run as missing", async () => {
    await expectTrpcError(w.as(w.ownerA).runs.get({ teamId: w.teamA.id, runId: w.runB.id }), "NOT_FOUND");
    await expectTrpcError(w.as(w.ownerA).runs.get({ teamId: w.teamB.id, runId: w.runB.id }), "FORBIDDEN");
  });
});

describe("runs.create", () => {
  it("queues a run pinned to the team's agent and wakes the agents", async () => {
    const { id } = await w.as(w.memberA).runs.create({
      teamId: w.teamA.id,
      spec: {
        agentId: w.agentA.id,
        kind: "CONVERT",
        sourcePath: "/data/DeepSeek-V3.2-FP8/",
        destPath: "/data/out/DeepSeek-V3.2-NVFP4",
        options: { format: "compressed-tensors", shardSizeBytes: 2e9, ignore: ["mtp\\..*"] },
      },
    });
    const run = await database.current.prisma.run.findUniqueOrThrow({ where: { id } });
    expect(run).toMatchObject({
      status: "QUEUED",
      model: "DeepSeek-V3.2-FP8",
      agentId: w.agentA.id,
      createdById: w.memberA.id,
    });
    // Defaults of ConvertOptionsSchema are applied before storing.
    expect(run.options).toMatchObject({ workers: 0, gpus: 0, shardSizeBytes: 2e9, ignore: ["mtp\\..*"] });
    expect(w.calls.queued).toContainEqual({ id, teamId: w.teamA.id, agentId: w.agentA.id });
  });

  it("accepts any-agent runs that some agent of the team can run", async () => {
    const { id } = await w
      .as(w.ownerA)
      .runs.create({ teamId: w.teamA.id, spec: inspectSpec(null, "/data/anywhere/model") });
    expect((await database.current.prisma.run.findUniqueOrThrow({ where: { id } })).agentId).toBeNull();
  });

  it("refuses viewers and other teams' users", async () => {
    await expectTrpcError(
      w.as(w.viewerA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id) }),
      "FORBIDDEN",
    );
    await expectTrpcError(
      w.as(w.ownerB).runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id) }),
      "FORBIDDEN",
    );
  });

  it("refuses another team's agent", async () => {
    await expectTrpcError(
      w.as(w.ownerA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentB.id) }),
      "NOT_FOUND",
    );
  });

  it("pre-checks paths against the agent's roots", async () => {
    const escaping = w
      .as(w.ownerA)
      .runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id, "/data/../etc/passwd") });
    await expectTrpcError(escaping, "BAD_REQUEST");
    const sibling = w
      .as(w.ownerA)
      .runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id, "/database/x") });
    await expectTrpcError(sibling, "BAD_REQUEST");
  });

  it("validates the spec with the protocol schema", async () => {
    const noDest = w.as(w.ownerA).runs.create({
      teamId: w.teamA.id,
      spec: { agentId: w.agentA.id, kind: "CONVERT", sourcePath: "/data/x", destPath: null, options: {} },
    });
    await expectTrpcError(noDest, "BAD_REQUEST");
    const badRegex = w.as(w.ownerA).runs.create({
      teamId: w.teamA.id,
      spec: {
        agentId: null,
        kind: "CALIBRATE",
        sourcePath: "/data/x",
        destPath: "/data/y",
        options: { ignore: ["("] },
      },
    });
    await expectTrpcError(badRegex, "BAD_REQUEST");
  });

  it.each([
    ["sourcePath", { kind: "INSPECT", sourcePath: "/data/x\u0000y", destPath: null, options: {} }],
    ["destPath", { kind: "CONVERT", sourcePath: "/data/x", destPath: "/data/\u0000", options: {} }],
    [
      "calibrationFile",
      {
        kind: "CONVERT",
        sourcePath: "/data/x",
        destPath: "/data/y",
        options: { format: "modelopt", calibrationFile: "/data/s\u0000.json" },
      },
    ],
    [
      "dataset",
      { kind: "CALIBRATE", sourcePath: "/data/x", destPath: "/data/y", options: { dataset: "/d\u0000" } },
    ],
    [
      "referencePath",
      { kind: "VERIFY", sourcePath: "/data/x", destPath: null, options: { referencePath: "/\u0000" } },
    ],
  ] as const)("refuses a NUL byte in %s as invalid input, storing nothing", async (field, spec) => {
    const before = await database.current.prisma.run.count();
    const error = await w
      .as(w.ownerA)
      .runs.create({ teamId: w.teamA.id, spec: { agentId: null, ...spec } })
      .then(
        () => null,
        (err: unknown) => err as { code: string; message: string },
      );
    expect(error?.code).toBe("BAD_REQUEST");
    expect(error?.message).toContain(`"${field}"`);
    expect(error?.message).toMatch(/NUL byte|a Hugging Face dataset id .* or an absolute path/);
    expect(await database.current.prisma.run.count()).toBe(before);
  });

  it("accepts a calibration dataset as a Hub id or an absolute path under the agent's roots only", async () => {
    const calibrate = (dataset: string) =>
      w.as(w.ownerA).runs.create({
        teamId: w.teamA.id,
        spec: {
          agentId: w.agentA.id,
          kind: "CALIBRATE",
          sourcePath: "/data/x",
          destPath: "/data/y",
          options: { dataset },
        },
      });
    await calibrate("HuggingFaceH4/ultrachat_200k");
    await calibrate("/data/datasets/chat");
    await expectTrpcError(calibrate("/etc/ds"), "BAD_REQUEST");
    await expectTrpcError(calibrate("../ds"), "BAD_REQUEST");
    await expectTrpcError(calibrate("owner/../../ds"), "BAD_REQUEST");
  });

  it("refuses a revoked agent", async () => {
    const db = database.current.prisma;
    const revoked = await db.agent.create({
      data: {
        teamId: w.teamA.id,
        name: "old",
        tokenHash: "old-hash",
        tokenPrefix: "fp4a_old",
        createdById: w.ownerA.id,
        revokedAt: new Date(),
      },
    });
    await expectTrpcError(
      w.as(w.ownerA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(revoked.id) }),
      "BAD_REQUEST",
    );
  });

  it("refuses a run for an agent that went offline, saying since when and what to do", async () => {
    const db = database.current.prisma;
    const lastSeenAt = new Date(Date.now() - 60_000);
    await db.agent.update({ where: { id: w.agentA.id }, data: { connectedAt: null, lastSeenAt } });
    try {
      const since = `${lastSeenAt.toISOString().slice(11, 16)} UTC`;
      await expect(
        w.as(w.memberA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id) }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: `Agent gpu-a is offline since ${since} — start it, or choose another agent.`,
      });
      await expect(
        w.as(w.memberA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(null) }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: `No agent of this team that can run it is online: agent gpu-a is offline since ${since}. Start it, or add an agent on the Agents page.`,
      });
    } finally {
      // Back online for the tests after this one.
      await db.agent.update({
        where: { id: w.agentA.id },
        data: { connectedAt: new Date(), lastSeenAt: new Date() },
      });
    }
  });
});

describe("runs.cancel", () => {
  it("cancels a queued run at once and tells the browsers", async () => {
    const { id } = await w.as(w.memberA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id) });
    expect(await w.as(w.memberA).runs.cancel({ teamId: w.teamA.id, runId: id })).toEqual({
      cancelledImmediately: true,
    });
    const run = await database.current.prisma.run.findUniqueOrThrow({ where: { id } });
    expect(run.status).toBe("CANCELLED");
    expect(run.finishedAt).not.toBeNull();
    expect(w.calls.statuses).toContainEqual({ id, status: "CANCELLED" });
  });

  it("asks the agent to stop a running run", async () => {
    const db = database.current.prisma;
    const running = await db.run.create({
      data: {
        teamId: w.teamA.id,
        kind: "INSPECT",
        status: "RUNNING",
        model: "m",
        sourcePath: "/data/m",
        options: {},
        agentId: w.agentA.id,
        createdById: w.ownerA.id,
        startedAt: new Date(),
      },
    });
    expect(await w.as(w.ownerA).runs.cancel({ teamId: w.teamA.id, runId: running.id })).toEqual({
      cancelledImmediately: false,
    });
    expect((await db.run.findUniqueOrThrow({ where: { id: running.id } })).cancelRequestedAt).not.toBeNull();
    expect(w.calls.cancelled).toContain(running.id);
  });

  it("refuses finished runs, viewers and other teams", async () => {
    await expectTrpcError(w.as(w.ownerA).runs.cancel({ teamId: w.teamA.id, runId: w.runA.id }), "CONFLICT");
    await expectTrpcError(w.as(w.viewerA).runs.cancel({ teamId: w.teamA.id, runId: w.runA.id }), "FORBIDDEN");
    await expectTrpcError(w.as(w.ownerA).runs.cancel({ teamId: w.teamA.id, runId: w.runB.id }), "NOT_FOUND");
    expect((await database.current.prisma.run.findUniqueOrThrow({ where: { id: w.runB.id } })).status).toBe(
      "QUEUED",
    );
  });
});

describe("runs.retry", () => {
  it("queues the next attempt with the same spec and destination", async () => {
    const { id } = await w.as(w.ownerA).runs.retry({ teamId: w.teamA.id, runId: w.runA.id });
    const retry = await database.current.prisma.run.findUniqueOrThrow({ where: { id } });
    expect(retry).toMatchObject({
      status: "QUEUED",
      attempt: 2,
      retryOfId: w.runA.id,
      destPath: w.runA.destPath,
      agentId: w.agentA.id,
      createdById: w.ownerA.id,
    });
    expect(w.calls.queued.map((q) => q.id)).toContain(id);
    const original = await w.as(w.viewerA).runs.get({ teamId: w.teamA.id, runId: w.runA.id });
    expect(original.retries.map((r) => r.id)).toContain(id);
  });

  it("refuses, as a new run, a retry its agent cannot run now: offline, revoked, or its data root gone", async () => {
    const db = database.current.prisma;
    const before = await db.run.count();
    const retry = () => w.as(w.ownerA).runs.retry({ teamId: w.teamA.id, runId: w.runA.id });
    const lastSeenAt = new Date(Date.now() - 60_000);
    try {
      await db.agent.update({ where: { id: w.agentA.id }, data: { connectedAt: null, lastSeenAt } });
      await expect(retry()).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: `Agent gpu-a is offline since ${lastSeenAt.toISOString().slice(11, 16)} UTC — start it, or choose another agent.`,
      });
      await db.agent.update({
        where: { id: w.agentA.id },
        data: { connectedAt: new Date(), lastSeenAt: new Date(), capabilities: capabilities(["/scratch"]) },
      });
      await expect(retry()).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/\/scratch/),
      });
      await db.agent.update({
        where: { id: w.agentA.id },
        data: { capabilities: capabilities(["/data"]), revokedAt: new Date() },
      });
      await expect(retry()).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/revoked/),
      });
      expect(await db.run.count()).toBe(before);
    } finally {
      await db.agent.update({
        where: { id: w.agentA.id },
        data: {
          connectedAt: new Date(),
          lastSeenAt: new Date(),
          capabilities: capabilities(["/data"]),
          revokedAt: null,
        },
      });
    }
  });

  it("refuses unfinished runs, viewers and other teams", async () => {
    const { id } = await w.as(w.memberA).runs.create({ teamId: w.teamA.id, spec: inspectSpec(w.agentA.id) });
    await expectTrpcError(w.as(w.memberA).runs.retry({ teamId: w.teamA.id, runId: id }), "CONFLICT");
    await expectTrpcError(w.as(w.viewerA).runs.retry({ teamId: w.teamA.id, runId: w.runA.id }), "FORBIDDEN");
    await expectTrpcError(w.as(w.ownerB).runs.retry({ teamId: w.teamB.id, runId: w.runA.id }), "NOT_FOUND");
  });
});

describe("runs.compare and runs.artifact", () => {
  it("compares runs with their metric series", async () => {
    const db = database.current.prisma;
    const other = await db.run.create({
      data: {
        teamId: w.teamA.id,
        kind: "CONVERT",
        status: "SUCCEEDED",
        model: "V4",
        sourcePath: "/data/V4",
        destPath: "/data/V4-out",
        options: { format: "modelopt" },
        createdById: w.ownerA.id,
      },
    });
    const t0 = Date.now();
    await db.metricSample.createMany({
      data: [1, 2, 3].map((seq) => ({
        runId: w.runA.id,
        seq,
        ts: new Date(t0 + seq * 1000),
        values: { progress: seq / 3, throughputBytesPerSec: 1e9 },
      })),
    });
    await db.artifact.create({
      data: {
        runId: w.runA.id,
        kind: "QUALITY_REPORT",
        json: { summary: { meanRelError: 0.01 } },
        sizeBytes: 10,
      },
    });
    const entries = await w.as(w.viewerA).runs.compare({ teamId: w.teamA.id, runIds: [w.runA.id, other.id] });
    expect(entries.map((e) => e.run.id)).toEqual([w.runA.id, other.id]);
    expect(entries[0]?.metrics.map((m) => m.t)).toEqual([0, 1, 2]);
    expect(entries[0]?.qualityReport).toEqual({ summary: { meanRelError: 0.01 } });
    expect(entries[1]?.metrics).toEqual([]);
  });

  it("refuses to compare with another team's run", async () => {
    await expectTrpcError(
      w.as(w.ownerA).runs.compare({ teamId: w.teamA.id, runIds: [w.runA.id, w.runB.id] }),
      "NOT_FOUND",
    );
  });

  it("returns a report only to the run's team", async () => {
    const db = database.current.prisma;
    await db.artifact.create({
      data: {
        runId: w.runB.id,
        kind: "INSPECT_REPORT",
        json: { secret: true },
        markdown: "# secret",
        sizeBytes: 8,
      },
    });
    const report = await w
      .as(w.ownerB)
      .runs.artifact({ teamId: w.teamB.id, runId: w.runB.id, kind: "INSPECT_REPORT" });
    expect(report.markdown).toBe("# secret");
    await expectTrpcError(
      w.as(w.ownerA).runs.artifact({ teamId: w.teamA.id, runId: w.runB.id, kind: "INSPECT_REPORT" }),
      "NOT_FOUND",
    );
    await expectTrpcError(
      w.as(w.ownerA).runs.artifact({ teamId: w.teamB.id, runId: w.runB.id, kind: "INSPECT_REPORT" }),
      "FORBIDDEN",
    );
  });
});
