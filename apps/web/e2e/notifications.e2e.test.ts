/**
 * Notifications: team and personal webhooks made in the browser, told by the real server when a
 * run is cancelled — to a receiver this test runs, which refuses the first attempt so the retry
 * shows — signed with the secret the page showed; and a browser notification when a watched run
 * ends while its page is open.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type AppServer, startAppServer } from "./support/app-server";
import { launchChromium } from "./support/browser";
import { scenario, signUpOwner } from "./support/scenario";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

let app: AppServer;
let browser: BrowserContext;
let page: Page;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  // Refuses the first request to each path with a 500, then accepts.
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const path = request.url ?? "/";
      const answered = received.some((r) => r.path === path) ? 200 : 500;
      received.push({ path, headers: request.headers, body, answered });
      response.writeHead(answered).end(answered === 200 ? "ok" : "try again later");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  app = await startAppServer();
  browser = await launchChromium();
  await browser.grantPermissions(["notifications"], { origin: app.baseUrl });
  // Records the notifications pages show (headless Chromium draws none).
  await browser.addInitScript(() => {
    const shown: { title: string; body?: string }[] = [];
    (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body });
      }
    } as typeof Notification;
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

it("sends signed, retried webhooks and a browser notification when runs end", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "notifications",
    () => page,
    () => app.server.output(),
  );
  const { teamPath, team, user } = await signUpOwner(app, page, "Ada Byron", "ada.byron@example.com");
  const db = app.database.prisma;
  const offline = generateAgentToken();
  const parked = await db.agent.create({
    data: {
      teamId: team.id,
      name: "offline-host",
      createdById: user.id,
      tokenHash: offline.tokenHash,
      tokenPrefix: offline.tokenPrefix,
    },
  });
  /** A queued run that waits for an agent that never comes: it ends only when cancelled. */
  const queuedRun = (model: string) =>
    db.run.create({
      data: {
        teamId: team.id,
        createdById: user.id,
        agentId: parked.id,
        kind: "INSPECT",
        model,
        sourcePath: `/models/${model}`,
        options: {},
      },
    });

  const secret = await step("add a team webhook and a personal one for finished runs only", async () => {
    await page.getByRole("link", { name: "Notifications" }).click();
    await page.waitForURL(/\/notifications$/);
    await page.fill("#webhook-name", "ops channel");
    await page.fill("#webhook-url", `${receiverUrl}/team`);
    await page.getByLabel("Every run of the team").check();
    await page.getByRole("button", { name: "Add webhook" }).click();
    const value = (await page.getByTestId("webhook-secret").textContent())?.trim() ?? "";
    expect(value).toMatch(/^whsec_/);
    await page.fill("#webhook-name", "my successes");
    await page.fill("#webhook-url", `${receiverUrl}/mine`);
    for (const label of ["Failed", "Cancelled", "Lost"])
      await page.getByLabel(label, { exact: true }).uncheck();
    await page.getByRole("button", { name: "Add webhook" }).click();
    await page.locator('li[data-webhook-name="my successes"]').waitFor();
    await screenshot("webhooks");
    return value;
  });

  const run = await queuedRun("DeepSeek-V3-FP8");
  await step("cancel a run: the team hook is told, refused once, retried and delivered", async () => {
    await page.goto(`${app.baseUrl}${teamPath}/runs/${run.id}`);
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page
      .getByRole("dialog", { name: "Cancel this run?" })
      .getByRole("button", { name: "Cancel run" })
      .click();
    await expect.poll(() => received.filter((r) => r.path === "/team").length, { timeout: 30_000 }).toBe(2);
    const [first, second] = received.filter((r) => r.path === "/team");
    if (!first || !second) throw new Error("no deliveries");
    expect([first.answered, second.answered]).toEqual([500, 200]);
    // One delivery, attempted twice, with the same body; each attempt signed afresh.
    expect(second.headers["x-fp4kit-delivery"]).toBe(first.headers["x-fp4kit-delivery"]);
    expect(second.body).toBe(first.body);
    for (const attempt of [first, second]) {
      const [t, v1] = String(attempt.headers["x-fp4kit-signature"])
        .split(",")
        .map((part) => part.split("=")[1]);
      expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${attempt.body}`).digest("hex"));
      expect(attempt.headers["x-fp4kit-event"]).toBe("run.cancelled");
    }
    const payload = JSON.parse(second.body) as {
      text: string;
      event: string;
      run: { id: string; status: string };
    };
    expect(payload.event).toBe("run.cancelled");
    expect(payload.run).toMatchObject({ id: run.id, status: "CANCELLED" });
    expect(payload.text).toBe(
      `inspect run <${app.baseUrl}${teamPath}/runs/${run.id}|DeepSeek-V3-FP8> :no_entry_sign: was cancelled on offline-host`,
    );
    // The personal hook is only for finished runs.
    expect(received.filter((r) => r.path === "/mine")).toEqual([]);
  });

  await step("the delivery log shows the last status and the attempts", async () => {
    await page.goto(`${app.baseUrl}${teamPath}/notifications`);
    const hook = page.locator('li[data-webhook-name="ops channel"]');
    await expect
      .poll(() => hook.getByTestId("last-delivery").textContent(), { timeout: 15_000 })
      .toContain("delivered · HTTP 200 · 2 attempts");
    await hook.getByRole("button", { name: "Deliveries" }).click();
    await hook.locator('tr[data-delivery-status="DELIVERED"]').getByText("run.cancelled").waitFor();
    expect(
      await page.locator('li[data-webhook-name="my successes"]').getByTestId("last-delivery").textContent(),
    ).toContain("never sent");
    await screenshot("delivery-log");
  });

  await step("a watched run's end shows a browser notification", async () => {
    const watched = await queuedRun("DeepSeek-V4-Pro-FP8");
    await page.goto(`${app.baseUrl}${teamPath}/runs/${watched.id}`);
    await page.getByRole("button", { name: "Notify me when it ends" }).click();
    await page.getByRole("button", { name: "Watching: will notify" }).waitFor();
    // Someone else ends it, in another tab.
    const other = await browser.newPage();
    await other.goto(`${app.baseUrl}${teamPath}/runs/${watched.id}`);
    await other.getByRole("button", { name: "Cancel run" }).click();
    await other
      .getByRole("dialog", { name: "Cancel this run?" })
      .getByRole("button", { name: "Cancel run" })
      .click();
    // Closed only once the cancel has reached the server: closing a tab aborts its requests.
    await expect
      .poll(async () => (await db.run.findUniqueOrThrow({ where: { id: watched.id } })).status, {
        timeout: 15_000,
      })
      .toBe("CANCELLED");
    await other.close();
    await expect
      .poll(
        () =>
          page.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications),
        { timeout: 15_000 },
      )
      .toEqual([{ title: "DeepSeek-V4-Pro-FP8: cancelled", body: "The run you were watching has ended." }]);
  });

  // Every page above ran under the server's CSP without the browser refusing anything.
  expect(cspViolations).toEqual([]);
});
