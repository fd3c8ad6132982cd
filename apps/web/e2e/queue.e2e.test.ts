/**
 * Queue visibility in Chromium against the real server, database and a real agent: a run that no
 * online agent could take is refused with the agent to start; a run queued before its agent froze
 * says on its page where it stands in the queue, which agents could take it and why it waits, and
 * follows the queue live as the agent comes back and takes the runs.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAppInBrowser } from "./support/app-in-browser";
import { type AppServer, ECHO, REPO_ROOT } from "./support/app-server";
import { type ManagedProcess, startProcess } from "./support/processes";
import { scenario, signUpOwner } from "./support/scenario";

let app: AppServer;
let browser: BrowserContext;
let page: Page;
let agent: ManagedProcess | undefined;

beforeAll(async () => {
  ({ app, browser, page } = await startAppInBrowser());
});

afterAll(async () => {
  await browser?.close();
  agent?.child.kill("SIGCONT"); // if a failure left it frozen
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
  const { teamPath, team, user } = await signUpOwner(app, page, "Edsger Dijkstra", "edsger@example.com");
  const db = app.database.prisma;
  const root = join(app.work, "models");
  const source = join(root, "DeepSeek-V3-FP8");
  await mkdir(root, { recursive: true });
  await generateCheckpoint({ family: "deepseek-v3", dir: source });

  /** Fills the New run form on `form` for an inspect of the checkpoint, on `agentName` or any agent. */
  async function fillInspect(form: Page, agentName: string | null): Promise<void> {
    await form.goto(`${base}${teamPath}/runs/new`);
    if (agentName) await form.locator("label", { hasText: agentName }).click();
    await form.locator("label", { hasText: "Inspect" }).first().click();
    await form.fill("#sourcePath", source);
  }
  /** Queues an inspect of the checkpoint from the New run form, on `agentName` or any agent. */
  async function queueInspect(agentName: string | null): Promise<string> {
    await fillInspect(page, agentName);
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
  const realToken = await step(
    "while no agent that could run it is online, queueing is refused and says which to start",
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
      await fillInspect(page, null);
      await page.getByRole("button", { name: "Queue run" }).click();
      await page
        .getByRole("alert")
        .getByText(
          "No agent of this team that can run it is online: agent gpu-host has never connected; agent spare-host has never connected. Start one of them.",
        )
        .waitFor();
      await screenshot("all-offline-refused");
      await fillInspect(page, "spare-host");
      await page.getByRole("button", { name: "Queue run" }).click();
      await page
        .getByRole("alert")
        .getByText("Agent spare-host has never connected — start it, or choose another agent.")
        .waitFor();
      expect(await db.run.count()).toBe(0);
      return real.token;
    },
  );

  await step("a real agent connects and takes a run at once", async () => {
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
    await agent.waitFor(/connected to .* as agent "gpu-host"/, 90_000);
    await queueInspect(null);
    await page
      .getByTestId("run-status")
      .and(page.locator('[data-status="SUCCEEDED"]'))
      .waitFor({ timeout: 120_000 });
  });

  const { first, pinned } = await step(
    "runs queued just before their agent froze wait for it, and their pages say why",
    async () => {
      const gpuHost = await db.agent.findFirstOrThrow({ where: { name: "gpu-host" } });
      // Both forms ready first: the runs are queued while the frozen agent still counts as online.
      const second = await browser.newPage();
      await fillInspect(page, null);
      await fillInspect(second, "gpu-host");
      // Right after a heartbeat: the whole silence before it is marked offline is left to queue in.
      const beat = gpuHost.lastSeenAt?.getTime() ?? 0;
      await expect
        .poll(
          async () => (await db.agent.findUniqueOrThrow({ where: { id: gpuHost.id } })).lastSeenAt?.getTime(),
          {
            timeout: 30_000,
          },
        )
        .toBeGreaterThan(beat);
      agent?.child.kill("SIGSTOP");
      const ids: string[] = [];
      for (const form of [page, second]) {
        await form.getByRole("button", { name: "Queue run" }).click();
        await form.waitForURL((url) => /\/runs\/(?!new$)[^/]+$/.test(url.pathname));
        ids.push(new URL(form.url()).pathname.split("/").at(-1) ?? "");
      }
      await second.close();
      const [anyId = "", pinnedId = ""] = ids;
      await expectQueue(anyId, 1, "all-offline", /All 2 agents that can take it are offline/);
      for (const name of ["gpu-host", "spare-host"]) {
        const row = queueCard().locator(`[data-candidate="${name}"]`);
        await row.getByText("offline").waitFor();
        await row.getByText("takes it next").waitFor();
      }
      await queueCard().locator('[data-candidate="spare-host"]').getByText("never connected").waitFor();
      await expectQueue(pinnedId, 2, "all-offline", /The only agent that can take it is offline/);
      expect(await queueCard().locator("[data-candidate]").count()).toBe(1);
      await queueCard().locator('[data-candidate="gpu-host"]').getByText("1 queued run before it").waitFor();
      await screenshot("pinned-waits");
      return { first: anyId, pinned: pinnedId };
    },
  );

  await step("the agent comes back and takes the runs that waited for it", async () => {
    agent?.child.kill("SIGCONT");
    // Still on the pinned run's page: the card goes live from the queue to the run's progress.
    await page
      .getByTestId("run-status")
      .and(page.locator('[data-status="SUCCEEDED"]'))
      .waitFor({ timeout: 120_000 });
    expect(await queueCard().count()).toBe(0);
    for (const id of [first, pinned]) {
      expect((await db.run.findUniqueOrThrow({ where: { id } })).status).toBe("SUCCEEDED");
    }
  });

  expect(cspViolations).toEqual([]);
});
