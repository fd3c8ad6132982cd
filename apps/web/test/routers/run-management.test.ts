import { beforeAll, describe, expect, it } from "vitest";
import { setupTestDatabase } from "../support/test-db";
import { createWorld, expectTrpcError } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;

/** A finished run of team A with the given fields (sizes and times drive the sort tests). */
async function finishedRun(fields: {
  model: string;
  name?: string;
  tags?: string[];
  notes?: string;
  inputBytes?: bigint;
  outputBytes?: bigint;
  seconds?: number;
}) {
  const finishedAt = new Date();
  return database.current.prisma.run.create({
    data: {
      teamId: w.teamA.id,
      kind: "CONVERT",
      status: "SUCCEEDED",
      model: fields.model,
      name: fields.name ?? null,
      tags: fields.tags ?? [],
      notes: fields.notes ?? "",
      sourcePath: `/data/${fields.model}`,
      destPath: `/data/out/${fields.model}-NVFP4`,
      options: {},
      agentId: w.agentA.id,
      createdById: w.memberA.id,
      startedAt: new Date(finishedAt.getTime() - (fields.seconds ?? 60) * 1000),
      finishedAt,
      progress: 1,
      inputBytes: fields.inputBytes ?? null,
      outputBytes: fields.outputBytes ?? null,
    },
  });
}

beforeAll(async () => {
  w = await createWorld(database.current.prisma);
});

describe("runs.update", () => {
  it("renames, tags and annotates a run; an empty name falls back to the model", async () => {
    const run = await finishedRun({ model: "Rename-Me" });
    const caller = w.as(w.memberA);
    await caller.runs.update({
      teamId: w.teamA.id,
      runId: run.id,
      patch: { name: "  baseline v3  ", tags: ["Baseline", "w4a16", "baseline"], notes: "first try" },
    });
    let view = await caller.runs.get({ teamId: w.teamA.id, runId: run.id });
    expect(view.name).toBe("baseline v3");
    expect(view.tags).toEqual(["baseline", "w4a16"]);
    expect(view.notes).toBe("first try");
    await caller.runs.update({ teamId: w.teamA.id, runId: run.id, patch: { name: "" } });
    view = await caller.runs.get({ teamId: w.teamA.id, runId: run.id });
    expect(view.name).toBeNull();
    expect(view.tags).toEqual(["baseline", "w4a16"]);
  });

  it("rejects tags with spaces or symbols, and viewers and other teams", async () => {
    const run = await finishedRun({ model: "Guarded" });
    await expectTrpcError(
      w.as(w.memberA).runs.update({ teamId: w.teamA.id, runId: run.id, patch: { tags: ["a b"] } }),
      "BAD_REQUEST",
    );
    await expectTrpcError(
      w.as(w.viewerA).runs.update({ teamId: w.teamA.id, runId: run.id, patch: { name: "x" } }),
      "FORBIDDEN",
    );
    await expectTrpcError(
      w.as(w.ownerB).runs.update({ teamId: w.teamB.id, runId: run.id, patch: { name: "x" } }),
      "NOT_FOUND",
    );
  });
});

describe("text with a NUL character", () => {
  it("is refused as invalid input naming the field, in notes, tags and search alike", async () => {
    const run = await finishedRun({ model: "Nul-Guard" });
    const caller = w.as(w.memberA);
    const attempt = caller.runs.update({ teamId: w.teamA.id, runId: run.id, patch: { notes: "a\0b" } });
    await expect(attempt).rejects.toThrow(/"notes"[\s\S]*must not contain a NUL byte/);
    await expectTrpcError(
      caller.runs.update({ teamId: w.teamA.id, runId: run.id, patch: { tags: ["ok", "x\0"] } }),
      "BAD_REQUEST",
    );
    await expectTrpcError(caller.runs.list({ teamId: w.teamA.id, q: "v3\0", limit: 10 }), "BAD_REQUEST");
    expect((await caller.runs.get({ teamId: w.teamA.id, runId: run.id })).notes).toBe("");
  });
});

describe("runs.archive and runs.delete", () => {
  it("hides archived runs unless asked for, and restores them", async () => {
    const run = await finishedRun({ model: "Archive-Me" });
    const caller = w.as(w.memberA);
    await caller.runs.archive({ teamId: w.teamA.id, runIds: [run.id], archived: true });
    const ids = async (archived: "active" | "archived" | "all") =>
      (await caller.runs.list({ teamId: w.teamA.id, archived, limit: 200 })).runs.map((r) => r.id);
    expect(await ids("active")).not.toContain(run.id);
    expect(await ids("archived")).toEqual([run.id]);
    expect(await ids("all")).toContain(run.id);
    await caller.runs.archive({ teamId: w.teamA.id, runIds: [run.id], archived: false });
    expect(await ids("active")).toContain(run.id);
  });

  it("refuses to archive or delete a run that is still queued or running", async () => {
    const { id } = await w.as(w.memberA).runs.create({
      teamId: w.teamA.id,
      spec: {
        agentId: w.agentA.id,
        kind: "INSPECT",
        sourcePath: "/data/Queued",
        destPath: null,
        options: {},
      },
    });
    await expectTrpcError(
      w.as(w.memberA).runs.archive({ teamId: w.teamA.id, runIds: [id], archived: true }),
      "CONFLICT",
    );
    await expectTrpcError(w.as(w.memberA).runs.delete({ teamId: w.teamA.id, runIds: [id] }), "CONFLICT");
  });

  it("deletes the record and everything stored with it; retries of it stay", async () => {
    const run = await finishedRun({ model: "Delete-Me" });
    const db = database.current.prisma;
    await db.runLogLine.create({ data: { runId: run.id, seq: 1, ts: new Date(), line: "hello" } });
    const retry = await w.as(w.memberA).runs.retry({ teamId: w.teamA.id, runId: run.id });
    await expectTrpcError(w.as(w.viewerA).runs.delete({ teamId: w.teamA.id, runIds: [run.id] }), "FORBIDDEN");
    await expectTrpcError(w.as(w.ownerB).runs.delete({ teamId: w.teamB.id, runIds: [run.id] }), "NOT_FOUND");
    expect(await w.as(w.memberA).runs.delete({ teamId: w.teamA.id, runIds: [run.id] })).toEqual({
      count: 1,
      removed: null,
    });
    await expectTrpcError(w.as(w.memberA).runs.get({ teamId: w.teamA.id, runId: run.id }), "NOT_FOUND");
    expect(await db.runLogLine.count({ where: { runId: run.id } })).toBe(0);
    expect((await db.run.findUniqueOrThrow({ where: { id: retry.id } })).retryOfId).toBeNull();
  });
});

describe("removing a run's output folder through its agent", () => {
  it("measures the folder, removes it with the confirmed size, then deletes the record", async () => {
    const run = await finishedRun({ model: "Remove-Output" });
    const folder = { path: run.destPath ?? "", exists: true, sizeBytes: 1234, fileCount: 3, removed: false };
    w.agentReplies.outputFolder = (request) =>
      request.remove && request.confirmedBytes !== folder.sizeBytes
        ? { ok: false, code: "FORBIDDEN", error: "size changed" }
        : { ok: true, ...folder, removed: request.remove };
    const caller = w.as(w.memberA);
    const measured = await caller.runs.outputFolder({ teamId: w.teamA.id, runId: run.id });
    expect(measured).toEqual({ agentName: "gpu-a", ...folder });
    await expectTrpcError(
      caller.runs.delete({ teamId: w.teamA.id, runIds: [run.id], removeOutput: { confirmedBytes: 1 } }),
      "BAD_REQUEST",
    );
    // The agent refused: the record stays.
    expect((await caller.runs.get({ teamId: w.teamA.id, runId: run.id })).id).toBe(run.id);
    const result = await caller.runs.delete({
      teamId: w.teamA.id,
      runIds: [run.id],
      removeOutput: { confirmedBytes: 1234 },
    });
    expect(result).toEqual({ count: 1, removed: { path: run.destPath, sizeBytes: 1234 } });
    expect(w.calls.outputFolders.at(-1)).toEqual({
      agentId: w.agentA.id,
      path: run.destPath,
      remove: true,
      confirmedBytes: 1234,
    });
  });

  it("refuses while the agent is offline or a live run writes to the same folder", async () => {
    const run = await finishedRun({ model: "Busy-Output" });
    w.agentReplies.outputFolder = null;
    await expectTrpcError(
      w.as(w.memberA).runs.outputFolder({ teamId: w.teamA.id, runId: run.id }),
      "CONFLICT",
    );
    await w.as(w.memberA).runs.retry({ teamId: w.teamA.id, runId: run.id });
    w.agentReplies.outputFolder = () => ({
      ok: true,
      path: "/x",
      exists: true,
      sizeBytes: 0,
      fileCount: 0,
      removed: true,
    });
    await expectTrpcError(
      w
        .as(w.memberA)
        .runs.delete({ teamId: w.teamA.id, runIds: [run.id], removeOutput: { confirmedBytes: 0 } }),
      "CONFLICT",
    );
    await expectTrpcError(
      w.as(w.viewerA).runs.outputFolder({ teamId: w.teamA.id, runId: run.id }),
      "FORBIDDEN",
    );
  });
});

describe("runs.list search and sort", () => {
  it("finds words in the name, paths, tags and notes, each word anywhere, literally", async () => {
    const a = await finishedRun({ model: "Kimi-K2-FP8", name: "kimi nightly", tags: ["nightly"] });
    const b = await finishedRun({ model: "GLM-5-FP8", notes: "compare against the 50% shard size" });
    const search = async (q: string) =>
      (await w.as(w.viewerA).runs.list({ teamId: w.teamA.id, q, limit: 200 })).runs.map((r) => r.id);
    expect(await search("KIMI")).toEqual([a.id]);
    expect(await search("out/GLM")).toEqual([b.id]);
    expect(await search("nightly kimi")).toEqual([a.id]);
    expect(await search("nightly glm")).toEqual([]);
    expect(await search("50%")).toEqual([b.id]);
    expect(await search("5_%")).toEqual([]);
    const tagged = await w.as(w.viewerA).runs.list({ teamId: w.teamA.id, tag: "nightly" });
    expect(tagged.runs.map((r) => r.id)).toEqual([a.id]);
  });

  it("sorts by computed columns both ways, runs without the value last", async () => {
    const q = "sortcase";
    const small = await finishedRun({ model: "S", notes: q, inputBytes: 10n, outputBytes: 5n, seconds: 300 });
    const large = await finishedRun({ model: "L", notes: q, inputBytes: 90n, outputBytes: 10n, seconds: 5 });
    const none = await finishedRun({ model: "N", notes: q, seconds: 100 });
    const order = async (sort: "ratio" | "duration" | "input" | "name", dir: "asc" | "desc") =>
      (await w.as(w.viewerA).runs.list({ teamId: w.teamA.id, q, sort, dir })).runs.map((r) => r.id);
    expect(await order("ratio", "desc")).toEqual([large.id, small.id, none.id]);
    expect(await order("ratio", "asc")).toEqual([small.id, large.id, none.id]);
    expect(await order("duration", "desc")).toEqual([small.id, none.id, large.id]);
    expect(await order("input", "asc")).toEqual([small.id, large.id, none.id]);
    expect(await order("name", "asc")).toEqual([large.id, none.id, small.id]);
  });

  it("pages through a sorted listing without repeating a run", async () => {
    const caller = w.as(w.viewerA);
    const seen: string[] = [];
    let cursor: number | null = null;
    do {
      const page: { runs: { id: string }[]; nextCursor: number | null } = await caller.runs.list({
        teamId: w.teamA.id,
        sort: "name",
        dir: "asc",
        archived: "all",
        limit: 2,
        cursor,
      });
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    const all = await caller.runs.list({ teamId: w.teamA.id, archived: "all", limit: 200 });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(all.runs.map((r) => r.id).sort());
  });
});

describe("lineage", () => {
  const convertSpec = (agentId: string) => ({
    agentId,
    kind: "CONVERT" as const,
    sourcePath: "/data/Lineage-FP8",
    destPath: "/data/out/Lineage-NVFP4",
    options: {},
  });

  it("links a run to the one it continues; retries stay in the chain; the chain reads both ways", async () => {
    const inspect = await finishedRun({ model: "Lineage-FP8" });
    const caller = w.as(w.memberA);
    const convert = await caller.runs.create({
      teamId: w.teamA.id,
      spec: convertSpec(w.agentA.id),
      parentRunId: inspect.id,
    });
    await database.current.prisma.run.update({
      where: { id: convert.id },
      data: { status: "FAILED", finishedAt: new Date() },
    });
    const retry = await caller.runs.retry({ teamId: w.teamA.id, runId: convert.id });
    const fromConvert = await caller.runs.lineage({ teamId: w.teamA.id, runId: convert.id });
    expect(fromConvert.ancestors.map((n) => n.id)).toEqual([inspect.id]);
    expect(fromConvert.self.id).toBe(convert.id);
    expect(fromConvert.descendants).toEqual([]);
    const fromInspect = await caller.runs.lineage({ teamId: w.teamA.id, runId: inspect.id });
    expect(fromInspect.descendants.map((n) => [n.id, n.parentRunId])).toEqual([
      [convert.id, inspect.id],
      [retry.id, inspect.id],
    ]);
  });

  it("refuses a parent or a chain of another team", async () => {
    await expectTrpcError(
      w.as(w.memberA).runs.create({
        teamId: w.teamA.id,
        spec: convertSpec(w.agentA.id),
        parentRunId: w.runB.id,
      }),
      "NOT_FOUND",
    );
    await expectTrpcError(w.as(w.ownerB).runs.lineage({ teamId: w.teamB.id, runId: w.runA.id }), "NOT_FOUND");
  });
});
