/**
 * The server stores a run's result documents and summary only when they follow the schemas of its
 * run kind (@fp4kit/protocol's RUN_DOCUMENTS and RUN_SUMMARIES), so the pages that read them never
 * meet one they cannot show.
 */
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { finishRun, storeArtifact } from "@fp4kit/web/server/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant, queueRun, type Tenant } from "./support/fixtures.ts";

describe("result documents at the server", () => {
  let db: TestDatabase;
  let tenant: Tenant;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await createTenant(db.prisma);
  });
  afterAll(() => db?.drop());

  const convertRun = () =>
    queueRun(db.prisma, tenant, {
      kind: "CONVERT",
      sourcePath: "/data/DeepSeek-V3-FP8",
      destPath: "/data/out",
      agentId: tenant.agentId,
    });

  it("refuses a quality report that does not follow its schema, naming the fields", async () => {
    const run = await convertRun();
    const upload = storeArtifact(db.prisma, {
      runId: run.id,
      agentId: tenant.agentId,
      kind: "QUALITY_REPORT",
      json: { format: "fp4kit-quality", version: 1, totals: {} },
      markdown: null,
    });
    await expect(upload).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    await expect(upload).rejects.toThrow(
      /the CONVERT run's QUALITY_REPORT does not follow its schema \(outputFormat: .*; totals\.quantizedTensors: .*; \d+ more\)/,
    );
    expect(await db.prisma.artifact.count({ where: { runId: run.id } })).toBe(0);
  });

  it("refuses a summary that does not follow its run kind's schema, and takes the outcome without it", async () => {
    const run = await convertRun();
    await db.prisma.run.update({ where: { id: run.id }, data: { status: "RUNNING" } });
    const outcome = {
      runId: run.id,
      agentId: tenant.agentId,
      status: "SUCCEEDED" as const,
      error: null,
      inputBytes: 10,
      outputBytes: 5,
    };
    const inspectSummary = { family: "deepseek-v3", tensorCount: 3, tensorBytes: 10 };
    await expect(finishRun(db.prisma, { ...outcome, summary: inspectSummary })).rejects.toThrow(
      /the CONVERT run's summary does not follow its schema \(engine: .*; format: .*; \d+ more\)/,
    );
    expect((await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("RUNNING");
    await finishRun(db.prisma, { ...outcome, summary: null });
    expect((await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("SUCCEEDED");
  });

  it("refuses a document its run kind does not make", async () => {
    const run = await convertRun();
    await expect(
      storeArtifact(db.prisma, {
        runId: run.id,
        agentId: tenant.agentId,
        kind: "INSPECT_REPORT",
        json: { schemaVersion: 1 },
        markdown: null,
      }),
    ).rejects.toThrow(/a CONVERT run has no INSPECT_REPORT document/);
  });

  it("stores a shard list that follows its schema", async () => {
    const run = await convertRun();
    await db.prisma.run.update({ where: { id: run.id }, data: { status: "RUNNING" } });
    const shards = [
      { file: "model-00001-of-00001.safetensors", bytes: 1024, sha256: "0f".repeat(32), resumed: false },
    ];
    await storeArtifact(db.prisma, {
      runId: run.id,
      agentId: tenant.agentId,
      kind: "SHARD_LIST",
      json: shards,
      markdown: null,
    });
    const stored = await db.prisma.artifact.findFirstOrThrow({ where: { runId: run.id } });
    expect(stored.json).toEqual(shards);
  });
});
