import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startWebhookDispatcher,
  type WebhookDispatcher,
} from "../../src/server/notifications/webhook-dispatcher";
import { setupTestDatabase } from "../support/test-db";
import { createWorld } from "../support/world";

const database = setupTestDatabase();
let w: Awaited<ReturnType<typeof createWorld>>;
let receiver: Server;
let base: string;
let dispatcher: WebhookDispatcher;
/** Requests per path; `status` answers each path (default 200). */
const requests: Record<string, { body: string; signature: string }[]> = {};
const status: Record<string, number> = {};

beforeAll(async () => {
  w = await createWorld(database.current.prisma);
  // The world's runs ended before any hook existed, as the migration marks old runs.
  await database.current.prisma.$executeRaw`UPDATE run SET "notifiedStatus" = status`;
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const path = request.url ?? "/";
      const received = requests[path] ?? [];
      received.push({ body, signature: String(request.headers["x-fp4kit-signature"]) });
      requests[path] = received;
      response.writeHead(status[path] ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  dispatcher = startWebhookDispatcher({
    db: database.current.prisma,
    log: console,
    publicUrl: "https://fp4kit.example",
    intervalMs: 60_000,
    retryBaseMs: 1,
    maxAttempts: 3,
  });
});

afterAll(async () => {
  await dispatcher.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

async function hook(path: string, scope: "team" | "personal", events: string[], owner = w.ownerA) {
  return w.as(owner).webhooks.create({
    teamId: w.teamA.id,
    name: path,
    url: `${base}${path}`,
    scope,
    events: events as ("SUCCEEDED" | "FAILED" | "CANCELLED" | "LOST")[],
  });
}

async function endRun(status: "SUCCEEDED" | "LOST" | "FAILED", createdById: string) {
  return database.current.prisma.run.create({
    data: {
      teamId: w.teamA.id,
      kind: "INSPECT",
      status,
      model: "M",
      sourcePath: "/data/M",
      options: {},
      createdById,
      finishedAt: new Date(),
    },
  });
}

describe("webhook dispatcher", () => {
  it("tells team hooks about every run and personal hooks about their owner's, per event", async () => {
    const { secret } = await hook("/team", "team", ["SUCCEEDED", "LOST"]);
    await hook("/owner-only", "personal", ["SUCCEEDED"]);
    await hook("/member", "personal", ["SUCCEEDED", "FAILED"], w.memberA);
    const byMember = await endRun("SUCCEEDED", w.memberA.id);
    await endRun("FAILED", w.ownerA.id);
    await dispatcher.tick();
    await dispatcher.tick();
    expect(requests["/team"]?.length).toBe(1);
    expect(requests["/member"]?.length).toBe(1);
    expect(requests["/owner-only"]).toBeUndefined();
    const sent = requests["/team"]?.[0];
    const [t, v1] = (sent?.signature ?? "").split(",").map((part) => part.split("=")[1]);
    expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${sent?.body}`).digest("hex"));
    expect(JSON.parse(sent?.body ?? "{}")).toMatchObject({
      event: "run.succeeded",
      text: `inspect run <https://fp4kit.example/t/${w.teamA.slug}/runs/${byMember.id}|M> :white_check_mark: finished`,
      run: { id: byMember.id, status: "SUCCEEDED" },
    });
  });

  it("notifies a run again when its final status changes (lost, then finished by its agent)", async () => {
    await hook("/again", "team", ["SUCCEEDED", "LOST"]);
    const run = await endRun("LOST", w.memberA.id);
    await dispatcher.tick();
    await database.current.prisma.run.update({ where: { id: run.id }, data: { status: "SUCCEEDED" } });
    await dispatcher.tick();
    const events = (requests["/again"] ?? []).map((r) => (JSON.parse(r.body) as { event: string }).event);
    expect(events).toEqual(["run.lost", "run.succeeded"]);
  });

  it("retries with backoff and gives up after the last attempt, keeping the last answer", async () => {
    status["/down"] = 503;
    await hook("/down", "team", ["FAILED"]);
    await endRun("FAILED", w.memberA.id);
    for (let i = 0; i < 5; i++) {
      await dispatcher.tick();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(requests["/down"]?.length).toBe(3);
    const [delivery] = await database.current.prisma.webhookDelivery.findMany({
      where: { webhook: { name: "/down" } },
    });
    expect(delivery).toMatchObject({
      status: "FAILED",
      attempts: 3,
      lastStatusCode: 503,
      nextAttemptAt: null,
    });
    expect(delivery?.lastError).toContain("HTTP 503");
  });

  it("lets only owners make team hooks and each user delete their own", async () => {
    await expect(hook("/nope", "team", ["FAILED"], w.memberA)).rejects.toThrow(/Only team owners/);
    const mine = await hook("/viewer", "personal", ["FAILED"], w.viewerA);
    await expect(
      w.as(w.memberA).webhooks.delete({ teamId: w.teamA.id, webhookId: mine.webhook.id }),
    ).rejects.toThrow(/No such webhook/);
    await w.as(w.viewerA).webhooks.delete({ teamId: w.teamA.id, webhookId: mine.webhook.id });
  });
});
