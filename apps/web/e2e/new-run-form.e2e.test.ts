/**
 * The New run form as a first user meets it, against the real server, database, agent process and
 * Chromium: the agent's checkpoints to pick from, what its Python lacks, messages in the form's
 * words and units under the field concerned, an overwrite that is confirmed before it is queued,
 * a killed agent shown offline on its running run at once, and no New run link for a viewer.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAppInBrowser } from "./support/app-in-browser";
import { type AppServer, ECHO, REPO_ROOT } from "./support/app-server";
import { type ManagedProcess, startProcess } from "./support/processes";
import { scenario, signUpOwner } from "./support/scenario";

const EMAIL = "marie@example.com";

let app: AppServer;
let browser: BrowserContext;
let page: Page;
let agent: ManagedProcess | undefined;

beforeAll(async () => {
  ({ app, browser, page } = await startAppInBrowser());
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  await app?.stop();
});

/** The message shown under the form field whose control has this id. */
function errorUnder(id: string) {
  return page.locator(`#${id}`).locator("xpath=..").getByRole("alert");
}

it("picks a checkpoint, explains mistakes in place, confirms an overwrite, hides New run from viewers", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "new-run-form",
    () => page,
    () => `${app.server.output().slice(-3000)}\n--- agent ---\n${agent?.output().slice(-3000) ?? ""}`,
  );
  const base = app.baseUrl;
  const { teamPath, team, user } = await signUpOwner(app, page, "Marie Curie", EMAIL);
  const db = app.database.prisma;
  const root = join(app.work, "models");
  const source = join(root, "DeepSeek-V3-FP8");
  const dest = join(root, "DeepSeek-V3-NVFP4");

  await step("start an agent whose root holds an FP8 checkpoint", async () => {
    await generateCheckpoint({ family: "deepseek-v3", dir: source, profile: "tiny" });
    const token = generateAgentToken();
    await db.agent.create({
      data: {
        teamId: team.id,
        name: "gpu-host",
        tokenHash: token.tokenHash,
        tokenPrefix: token.tokenPrefix,
        createdById: user.id,
      },
    });
    agent = startProcess(
      "agent",
      process.execPath,
      ["apps/agent/bin/fp4kit-agent.js", "--server", base, "--root", root],
      {
        cwd: REPO_ROOT,
        echo: ECHO,
        env: { ...process.env, FP4KIT_TOKEN: token.token, FP4KIT_SPOOL_DIR: join(app.work, "spool") },
      },
    );
    await agent.waitFor(/connected to .* as agent "gpu-host"/, 90_000);
  });

  await step("the Agents page lists what the agent's Python lacks, with the install command", async () => {
    await page.goto(`${base}${teamPath}/agents`);
    // llm-compressor cannot be installed on the machines this runs on: the agent reports it missing.
    const missing = page.getByTestId("agent-missing-packages");
    await expect.poll(() => missing.textContent(), { timeout: 10_000 }).toContain("llmcompressor");
    expect(await missing.textContent()).toMatch(/calibrate .*runs cannot start here/);
    expect(await missing.locator("code").last().textContent()).toMatch(
      /^python3 -m pip install .*llmcompressor/,
    );
  });

  await step(
    "the form lists the agent's checkpoints; picking one chooses the agent and the source",
    async () => {
      await page.goto(`${base}${teamPath}/runs/new`);
      const picker = page.getByTestId("checkpoint-picker");
      const option = picker.locator(`button[data-path="${source}"]`);
      await option.waitFor();
      expect(await option.textContent()).toContain("FP8");
      expect(await option.textContent()).toContain("on gpu-host");
      await option.click();
      expect(await page.inputValue("#sourcePath")).toBe(source);
      const chosen = await db.agent.findFirstOrThrow({ where: { name: "gpu-host" } });
      expect(await page.isChecked(`#agent-${chosen.id}`)).toBe(true);
      expect(await page.getByTestId("agent-picker-missing").textContent()).toContain("llmcompressor");
      await screenshot("checkpoint-picked");
    },
  );

  await step("mistakes are explained in the form's words and units, under their field", async () => {
    await page.getByText("Convert · Path A").click();
    await page.fill("#shardSizeGb", "0.0005");
    await page.getByRole("button", { name: "Queue run" }).click();
    expect(await errorUnder("destPath").textContent()).toBe(
      "Enter the folder the new checkpoint is written to",
    );
    expect(await errorUnder("shardSizeGb").textContent()).toBe("At least 0.0011 GB");
    await page.fill("#sourcePath", "");
    await page.fill("#destPath", dest);
    await page.fill("#shardSizeGb", "0.5");
    await page.selectOption("#format", "modelopt");
    await page.getByRole("button", { name: "Queue run" }).click();
    expect(await errorUnder("sourcePath").textContent()).toBe("Enter an absolute path on the agent's host");
    expect(await errorUnder("calibrationFile").textContent()).toBe(
      "ModelOpt NVFP4 (W4A4) needs activation input scales: give a calibration file or a fallback input scale",
    );
    await screenshot("form-errors");
    expect(await db.run.count()).toBe(0);
  });

  const runId = await step("an overwrite is queued only once confirmed, naming the destination", async () => {
    await page.fill("#sourcePath", source);
    await page.selectOption("#format", "engine");
    // Something in the destination that fp4kit did not write: refused unless overwritten.
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, "notes.txt"), "kept\n");
    await page.check("#overwrite");
    await page.getByRole("button", { name: "Queue run" }).click();
    const dialog = page.getByRole("dialog", { name: `Overwrite ${dest}?` });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("fp4kit-manifest.json");
    await screenshot("overwrite-confirmation");
    await dialog.getByRole("button", { name: "Keep it" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await db.run.count()).toBe(0);
    await page.getByRole("button", { name: "Queue run" }).click();
    await dialog.getByRole("button", { name: "Overwrite and queue" }).click();
    await page.waitForURL((url) => /\/runs\/(?!new$)[^/]+$/.test(url.pathname));
    const id = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    await expect
      .poll(async () => (await db.run.findUniqueOrThrow({ where: { id } })).status, { timeout: 120_000 })
      .toBe("SUCCEEDED");
    const run = await db.run.findUniqueOrThrow({ where: { id } });
    expect(run.options).toMatchObject({ overwrite: true, shardSizeBytes: 500_000_000 });
    return id;
  });
  expect(runId).not.toBe("");

  await step("a killed agent shows offline on its running run at once, not Live", async () => {
    const gpuHost = await db.agent.findFirstOrThrow({ where: { name: "gpu-host" } });
    // A run the agent holds, as it would after claiming it (the lease far off: no sweep ends it).
    const running = await db.run.create({
      data: {
        teamId: team.id,
        createdById: user.id,
        agentId: gpuHost.id,
        kind: "INSPECT",
        status: "RUNNING",
        model: "DeepSeek-V3-FP8",
        sourcePath: source,
        options: {},
        startedAt: new Date(),
        leaseExpiresAt: new Date(Date.now() + 10 * 60_000),
      },
    });
    await page.goto(`${base}${teamPath}/runs/${running.id}`);
    await page.getByText("Live", { exact: true }).waitFor();
    const killedAt = Date.now();
    agent?.child.kill("SIGKILL");
    const offline = page.getByTestId("run-agent-offline");
    await offline.waitFor({ timeout: 15_000 });
    console.info(`agent killed: its run's page said so after ${Date.now() - killedAt} ms`);
    expect(await offline.textContent()).toMatch(/^Agent gpu-host offline since /);
    await page.getByText("Agent offline", { exact: true }).waitFor();
    expect(await page.getByText("Live", { exact: true }).count()).toBe(0);
    await screenshot("agent-offline");
  });

  await step("a viewer sees no New run link", async () => {
    const observers = await db.team.create({ data: { name: "Observers", slug: "observers" } });
    await db.membership.create({ data: { teamId: observers.id, userId: user.id, role: "VIEWER" } });
    await page.goto(`${base}/t/observers/runs`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).waitFor();
    expect(await page.getByRole("link", { name: "New run" }).count()).toBe(0);
    await page.goto(`${base}${teamPath}/runs`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New run" }).waitFor();
  });

  expect(cspViolations).toEqual([]);
});
