/**
 * Queue visibility in Chromium against the real server, database and a real agent: a queued run's
 * page says where it stands in the queue, which agents could take it and why it waits, and follows
 * the queue live as an agent connects and takes the runs.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOCAL_TEAM_SLUG } from "../src/server/domain/teams/local-team";
import { type AppServer, ECHO, REPO_ROOT, startAppServer } from "./support/app-server";
import { launchChromium } from "./support/browser";
import { type ManagedProcess, startProcess } from "./support/processes";
import { scenario, signUpFirstUser } from "./support/scenario";

let app: AppServer;
let browser: BrowserContext;
let page: Page;
let agent: ManagedProcess | undefined;

beforeAll(async () => {
  app = await startAppServer();
  browser = await launchChromium();
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  await app?.stop();
});

it("shows a queued run's position, the agents that could take it and why it waits", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "queue",
    () => page,
    () => `${app.server.output()}\n--- agent ---\n${agent?.output() ?? "(not started)"}`,
  );
  const base = app.baseUrl;
  const teamPath = await signUpFirstUser(page, base, "Edsger Dijkstra", "edsger@example.com");
  const db = app.database.prisma;
  const team = await db.team.findUniqueOrThrow({ where: { slug: LOCAL_TEAM_SLUG } });
  const user = await db.user.findUniqueOrThrow({ where: { email: "edsger@example.com" } });
  const root = join(app.work, "models");
  const source = join(root, "DeepSeek-V3-FP8");
  await mkdir(root, { recursive: true });
  await generateCheckpoint({ family: "deepseek-v3", dir: source });

  /** Queues an inspect of the checkpoint from the New run form, on `agentName` or any agent. */
  async function queueInspect(agentName: string | null): Promise<string> {
    await page.goto(`${base}${teamPath}/runs/new`);
    if (agentName) await page.locator("label", { hasText: agentName }).click();
    await page.locator("label", { hasText: "Inspect" }).first().click();
    await page.fill("#sourcePath", source);
    await page.getByRole("button", { name: "Queue run" }).click();
    await page.waitForURL((url) => /\/runs\/(?!new$)[^/]+$/.test(url.pathname));
    return new URL(page.url()).pathname.split("/").at(-1) ?? "";
  }
  const queueCard = () => page.getByTestId("queue-status");
  async function expectQueue(runId: string, position: number, reason: string, text: RegExp) {
    if (!page.url().endsWith(runId)) await page.goto(`${base}${teamPath}/runs/${runId}`);
    await page.locator(`[data-testid="queue-position"][data-position="${position}"]`).waitFor();
    await page.locator(`[data-testid="queue-status"][data-reason="${reason}"]`).waitFor();
    await queueCard().getByText(text).waitFor();
  }

  await step("with no agent, queueing is refused and says how to add one", async () => {
    await page.goto(`${base}${teamPath}/runs/new`);
    await page.locator("label", { hasText: "Inspect" }).first().click();
    await page.fill("#sourcePath", source);
    await page.getByRole("button", { name: "Queue run" }).click();
    await page
      .getByRole("alert")
      .getByText(/This team has no agent to run it: add one on the Agents page/)
      .waitFor();
    expect(await db.run.count()).toBe(0);
    await screenshot("no-agent");
  });

  // Two agents as the Agents page creates them; only gpu-host's token is ever used.
  const { token: realToken, first } = await step(
    "agents that are offline are listed, with the runs each would take first",
    async () => {
      const [real, spare] = [generateAgentToken(), generateAgentToken()];
      for (const [name, generated] of [
        ["gpu-host", real],
        ["spare-host", spare],
      ] as const) {
        await db.agent.create({
          data: {
            teamId: team.id,
            name,
            createdById: user.id,
            tokenHash: generated.tokenHash,
            tokenPrefix: generated.tokenPrefix,
          },
        });
      }
      const id = await queueInspect(null);
      await expectQueue(id, 1, "all-offline", /All 2 agents that can take it are offline/);
      for (const name of ["gpu-host", "spare-host"]) {
        const row = queueCard().locator(`[data-candidate="${name}"]`);
        await row.getByText("offline").waitFor();
        await row.getByText("takes it next").waitFor();
      }
      return { token: real.token, first: id };
    },
  );

  const pinned = await step("a run pinned to an agent waits for that agent only", async () => {
    const id = await queueInspect("spare-host");
    // spare-host would take the older, unpinned run first.
    await expectQueue(id, 2, "all-offline", /The only agent that can take it is offline/);
    expect(await queueCard().locator("[data-candidate]").count()).toBe(1);
    await queueCard().locator('[data-candidate="spare-host"]').getByText("1 queued run before it").waitFor();
    await queueCard().locator('[data-candidate="spare-host"]').getByText("never connected").waitFor();
    return id;
  });

  const second = await step("a later run counts the older runs before it", async () => {
    const id = await queueInspect(null);
    // gpu-host takes the first run before it; spare-host the first and the pinned one.
    await expectQueue(id, 2, "all-offline", /All 2 agents that can take it are offline/);
    await queueCard().locator('[data-candidate="gpu-host"]').getByText("1 queued run before it").waitFor();
    await queueCard().locator('[data-candidate="spare-host"]').getByText("2 queued runs before it").waitFor();
    await screenshot("second-in-queue");
    return id;
  });

  await step("a real agent connects and takes the runs it may; the pinned run still waits", async () => {
    agent = startProcess(
      "agent",
      process.execPath,
      ["apps/agent/bin/fp4kit-agent.js", "--server", base, "--root", root],
      {
        cwd: REPO_ROOT,
        echo: ECHO,
        env: { ...process.env, FP4KIT_TOKEN: realToken, FP4KIT_SPOOL_DIR: join(app.work, "spool") },
      },
    );
    // Still on the second run's page: the card goes live from the queue to the run's progress.
    await page
      .getByTestId("run-status")
      .and(page.locator('[data-status="SUCCEEDED"]'))
      .waitFor({ timeout: 120_000 });
    expect(await queueCard().count()).toBe(0);
    for (const id of [first, second]) {
      expect((await db.run.findUniqueOrThrow({ where: { id } })).status).toBe("SUCCEEDED");
    }
    // The unpinned run it waited behind is done: it is next for spare-host, which stays away.
    await expectQueue(pinned, 1, "all-offline", /The only agent that can take it is offline/);
    await queueCard().locator('[data-candidate="spare-host"]').getByText("takes it next").waitFor();
    await screenshot("pinned-waits");
  });

  expect(cspViolations).toEqual([]);
});
