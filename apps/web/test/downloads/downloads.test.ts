import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getArtifact } from "../../src/app/api/runs/[runId]/artifacts/[kind]/route";
import { GET as getLog } from "../../src/app/api/runs/[runId]/log/route";
import { setServerRuntime } from "../../src/server/runtime";
import { createTestAuth, signUp, TEST_BASE_URL } from "../support/auth";
import { createFakeRealtime } from "../support/fake-realtime";
import { setupTestDatabase } from "../support/test-db";

const database = setupTestDatabase();
let owner: { userId: string; cookie: string };
let stranger: { userId: string; cookie: string };
let runId: string;

beforeAll(async () => {
  const db = database.current.prisma;
  const auth = createTestAuth(db);
  setServerRuntime({ db, auth, realtime: createFakeRealtime().realtime });
  owner = await signUp(auth, "Owner", "owner@example.com");
  stranger = await signUp(auth, "Stranger", "stranger@example.com");
  const membership = await db.membership.findFirstOrThrow({ where: { userId: owner.userId } });
  const run = await db.run.create({
    data: {
      teamId: membership.teamId,
      kind: "INSPECT",
      status: "SUCCEEDED",
      model: "DeepSeek V3",
      sourcePath: "/data/x",
      options: {},
      createdById: owner.userId,
    },
  });
  runId = run.id;
  // Log lines and metrics share one sequence; the download holds only the log lines, in order.
  await db.runLogLine.createMany({
    data: [
      { runId, seq: 1, ts: new Date(), line: "first \u001b[32mgreen\u001b[0m" },
      { runId, seq: 3, ts: new Date(), stream: "STDERR", line: "third" },
    ],
  });
  await db.metricSample.create({ data: { runId, seq: 2, ts: new Date(), values: { progress: 0.5 } } });
  await db.artifact.create({
    data: {
      runId,
      kind: "INSPECT_REPORT",
      json: { schemaVersion: 1 },
      markdown: "# report\n",
      sizeBytes: 20,
    },
  });
});
afterAll(() => setServerRuntime(undefined));

function request(path: string, cookie?: string) {
  return new Request(`${TEST_BASE_URL}${path}`, { headers: cookie ? { cookie } : {} });
}
const logParams = () => ({ params: Promise.resolve({ runId }) });
const artifactParams = (kind: string) => ({ params: Promise.resolve({ runId, kind }) });

describe("log download", () => {
  it("streams the full log as text to the run's team", async () => {
    const response = await getLog(request(`/api/runs/${runId}/log`, owner.cookie), logParams());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toContain(`DeepSeek-V3-${runId}.log`);
    expect(await response.text()).toBe("first \u001b[32mgreen\u001b[0m\nthird\n");
  });

  it("hides the run from other users and refuses anonymous ones", async () => {
    expect((await getLog(request(`/api/runs/${runId}/log`, stranger.cookie), logParams())).status).toBe(404);
    expect((await getLog(request(`/api/runs/${runId}/log`), logParams())).status).toBe(401);
  });
});

describe("report download", () => {
  it("serves JSON and Markdown", async () => {
    const json = await getArtifact(
      request(`/api/runs/${runId}/artifacts/inspect_report?format=json`, owner.cookie),
      artifactParams("inspect_report"),
    );
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(await json.json()).toEqual({ schemaVersion: 1 });
    const md = await getArtifact(
      request(`/api/runs/${runId}/artifacts/inspect_report?format=md`, owner.cookie),
      artifactParams("inspect_report"),
    );
    expect(md.headers.get("content-disposition")).toContain("inspect-report.md");
    expect(await md.text()).toBe("# report\n");
  });

  it("answers 404 for a missing report or another team's run, 400 for a bad format", async () => {
    const missing = await getArtifact(
      request(`/api/runs/${runId}/artifacts/quality_report`, owner.cookie),
      artifactParams("quality_report"),
    );
    expect(missing.status).toBe(404);
    const foreign = await getArtifact(
      request(`/api/runs/${runId}/artifacts/inspect_report`, stranger.cookie),
      artifactParams("inspect_report"),
    );
    expect(foreign.status).toBe(404);
    const bad = await getArtifact(
      request(`/api/runs/${runId}/artifacts/inspect_report?format=pdf`, owner.cookie),
      artifactParams("inspect_report"),
    );
    expect(bad.status).toBe(400);
  });
});
