/**
 * Managing a team's runs in the browser: rename, tag and annotate a run; search, sort and filter
 * the list with the view surviving a reload; archive, restore and delete, and remove a run's output
 * folder through the real agent that wrote it. The finished runs are written into the database
 * first (what agents would have reported), everything else goes through the real server, agent and
 * Chromium.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOCAL_TEAM_SLUG } from "../src/server/domain/teams/local-team";
import { startAppInBrowser } from "./support/app-in-browser";
import { type AppServer, ECHO, REPO_ROOT } from "./support/app-server";
import { type ManagedProcess, startProcess } from "./support/processes";
import { scenario, signUpFirstUser } from "./support/scenario";
import { seedAgent } from "./support/seeded-agent";

let app: AppServer;
let seeded: Awaited<ReturnType<typeof seedAgent>> | undefined;
let browser: BrowserContext;
let page: Page;
let agent: ManagedProcess | undefined;
let teamPath: string;
const EMAIL = "grace@example.com";

beforeAll(async () => {
  ({ app, browser, page } = await startAppInBrowser());
  teamPath = await signUpFirstUser(page, app.baseUrl, "Grace Hopper", EMAIL);
});

afterAll(async () => {
  seeded?.disconnect();
  await browser?.close();
  await agent?.stop();
  await app?.stop();
});

/** Three finished conversions and a failed one, as agents would have reported them. */
async function seedRuns(userEmail: string) {
  const db = app.database.prisma;
  const team = await db.team.findUniqueOrThrow({ where: { slug: LOCAL_TEAM_SLUG } });
  const user = await db.user.findUniqueOrThrow({ where: { email: userEmail } });
  const run = (model: string, status: "SUCCEEDED" | "FAILED", input: bigint, output: bigint | null) => {
    const finishedAt = new Date();
    return db.run.create({
      data: {
        teamId: team.id,
        createdById: user.id,
        kind: "CONVERT",
        status,
        model,
        sourcePath: `/models/${model}`,
        destPath: `/models/out/${model}-NVFP4`,
        options: { format: "compressed-tensors", shardSizeBytes: 5e9 },
        startedAt: new Date(finishedAt.getTime() - 90_000),
        finishedAt,
        progress: status === "SUCCEEDED" ? 1 : 0.4,
        inputBytes: input,
        outputBytes: output,
        error: status === "FAILED" ? "CUDA out of memory on GPU 3" : null,
      },
    });
  };
  return {
    v3: await run("DeepSeek-V3-FP8", "SUCCEEDED", 680_000_000_000n, 380_000_000_000n),
    v32: await run("DeepSeek-V3.2-FP8", "SUCCEEDED", 690_000_000_000n, 250_000_000_000n),
    v4: await run("DeepSeek-V4-Pro-FP8", "SUCCEEDED", 865_000_000_000n, 480_000_000_000n),
    failed: await run("DeepSeek-V4-Pro-FP8", "FAILED", 865_000_000_000n, null),
  };
}

/** The run ids of the runs table, top to bottom. */
async function tableOrder(): Promise<string[]> {
  return page
    .locator("tbody tr[data-run-id]")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-run-id") ?? ""));
}

it("renames, tags, searches, sorts, archives and deletes runs", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "run-management",
    () => page,
    () => app.server.output(),
  );
  const base = app.baseUrl;
  const runs = await seedRuns(EMAIL);
  const runsUrl = `${base}${teamPath}/runs`;

  await step("rename, tag and annotate a run on its page", async () => {
    await page.goto(`${base}${teamPath}/runs/${runs.v32.id}`);
    await page.getByRole("button", { name: "Edit" }).click();
    await page.fill("#run-name", "V3.2 baseline");
    await page.fill("#run-tags", "Baseline, W4A16 bad tag!");
    await page.getByRole("button", { name: "Save" }).click();
    // The bad tag is refused in the form, next to the field, before anything is sent.
    await page.getByText("a tag is 1-32 letters").waitFor();
    await page.fill("#run-tags", "Baseline, W4A16");
    await page.fill("#run-notes", "Reference for the shard-size sweep.");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { name: "V3.2 baseline" }).waitFor();
    const notes = page.getByTestId("run-notes");
    await notes.getByText("Reference for the shard-size sweep.").waitFor();
    expect(await notes.textContent()).toContain("baseline");
    expect(await notes.textContent()).toContain("w4a16");
    await screenshot("run-renamed");
  });

  await step("search by name, path, tag and notes; the search survives a reload", async () => {
    await page.goto(runsUrl);
    const search = page.getByRole("searchbox", { name: "Search runs" });
    await search.fill("shard-size sweep");
    await page.waitForURL(/q=shard-size/);
    await expect.poll(tableOrder).toEqual([runs.v32.id]);
    await search.fill("V4-Pro");
    await expect.poll(tableOrder).toEqual([runs.failed.id, runs.v4.id]);
    await page.reload();
    await expect.poll(tableOrder).toEqual([runs.failed.id, runs.v4.id]);
    expect(await search.inputValue()).toBe("V4-Pro");
    await search.fill("no-such-model");
    await page.getByText("No runs match these filters").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(async () => (await tableOrder()).length).toBe(4);
    // A tag in the table filters by it.
    await page.getByRole("button", { name: "w4a16", exact: true }).click();
    await page.waitForURL(/tag=w4a16/);
    await expect.poll(tableOrder).toEqual([runs.v32.id]);
    await screenshot("tag-filter");
    await page.getByRole("button", { name: "Remove tag filter w4a16" }).click();
  });

  await step("sort by a column both ways; the order survives a reload", async () => {
    await page.goto(runsUrl);
    const ratio = page.getByRole("columnheader", { name: "Ratio", exact: true });
    await ratio.getByRole("button").click();
    // Largest ratio first; the failed run has no output, so no ratio: it comes last.
    await expect.poll(tableOrder).toEqual([runs.v32.id, runs.v4.id, runs.v3.id, runs.failed.id]);
    expect(await ratio.getAttribute("aria-sort")).toBe("descending");
    await ratio.getByRole("button").click();
    await expect.poll(tableOrder).toEqual([runs.v3.id, runs.v4.id, runs.v32.id, runs.failed.id]);
    await page.reload();
    await expect.poll(tableOrder).toEqual([runs.v3.id, runs.v4.id, runs.v32.id, runs.failed.id]);
    expect(
      await page.getByRole("columnheader", { name: "Ratio", exact: true }).getAttribute("aria-sort"),
    ).toBe("ascending");
    await page.getByRole("columnheader", { name: "Run", exact: true }).getByRole("button").click();
    // By display name: the renamed run sorts as "V3.2 baseline"; equal names newest first.
    await expect.poll(tableOrder).toEqual([runs.v3.id, runs.failed.id, runs.v4.id, runs.v32.id]);
    await screenshot("sorted-by-name");
  });

  await step("archive the failed run: hidden by default, listed on request, restorable", async () => {
    await page.goto(runsUrl);
    await page.locator(`input[aria-label*="${runs.failed.id}"]`).check();
    await page.getByRole("button", { name: "Archive (1)" }).click();
    await expect.poll(async () => (await tableOrder()).includes(runs.failed.id)).toBe(false);
    expect((await tableOrder()).length).toBe(3);
    await page.selectOption("#filter-archived", "archived");
    await expect.poll(tableOrder).toEqual([runs.failed.id]);
    await page.reload();
    await expect.poll(tableOrder).toEqual([runs.failed.id]);
    await screenshot("archived-only");
    // The compare picker offers only runs that are not archived.
    await page.goto(`${base}${teamPath}/compare`);
    await page.locator(`tr[data-run-id="${runs.v3.id}"]`).waitFor();
    expect(await page.locator(`tr[data-run-id="${runs.failed.id}"]`).count()).toBe(0);
    // Restore from the run's page, then archive again there.
    await page.goto(`${base}${teamPath}/runs/${runs.failed.id}`);
    await page.getByText("Archived", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("button", { name: "Archive" }).waitFor();
    expect(await page.getByText("Archived", { exact: true }).count()).toBe(0);
  });

  await step("delete a run and its output folder through the agent that wrote it", async () => {
    const db = app.database.prisma;
    const team = await db.team.findUniqueOrThrow({ where: { slug: LOCAL_TEAM_SLUG } });
    const user = await db.user.findUniqueOrThrow({ where: { email: EMAIL } });
    const { token, tokenHash, tokenPrefix } = generateAgentToken();
    const gpuHost = await db.agent.create({
      data: { teamId: team.id, name: "gpu-host", tokenHash, tokenPrefix, createdById: user.id },
    });
    const root = join(app.work, "models");
    const output = join(root, "out", "Kimi-K2-NVFP4");
    await mkdir(join(output, "extra"), { recursive: true });
    await writeFile(join(output, "model-00001-of-00002.safetensors"), Buffer.alloc(1_500_000));
    await writeFile(join(output, "model-00002-of-00002.safetensors"), Buffer.alloc(1_000_000));
    await writeFile(join(output, "extra", "config.json"), "{}\n");
    const finishedAt = new Date();
    const run = await db.run.create({
      data: {
        teamId: team.id,
        createdById: user.id,
        agentId: gpuHost.id,
        kind: "CONVERT",
        status: "SUCCEEDED",
        model: "Kimi-K2-FP8",
        sourcePath: join(root, "Kimi-K2-FP8"),
        destPath: output,
        options: { format: "compressed-tensors" },
        startedAt: new Date(finishedAt.getTime() - 60_000),
        finishedAt,
        progress: 1,
      },
    });
    agent = startProcess(
      "agent",
      process.execPath,
      ["apps/agent/bin/fp4kit-agent.js", "--server", app.baseUrl, "--root", root],
      {
        cwd: REPO_ROOT,
        echo: ECHO,
        env: { ...process.env, FP4KIT_TOKEN: token, FP4KIT_SPOOL_DIR: join(app.work, "spool") },
      },
    );
    await agent.waitFor(/connected to .* as agent "gpu-host"/, 90_000);

    await page.goto(`${base}${teamPath}/runs/${run.id}`);
    await page.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this run?" });
    await dialog.getByLabel("Also remove its output folder on gpu-host").check();
    // The agent measured the folder: the dialog names its real path and size before anything goes.
    await dialog.getByText(`Removes ${output} on gpu-host: 2.50 MB in 3 files.`).waitFor();
    await screenshot("delete-with-output");
    await dialog.getByRole("button", { name: "Delete record and 2.50 MB of files" }).click();
    await page.waitForURL(runsUrl);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(join(root, "out"))).toBe(true);
    expect(await db.run.count({ where: { id: run.id } })).toBe(0);
    await agent.waitFor(/removed .*Kimi-K2-NVFP4 \(2500003 bytes\) as asked/, 10_000);
    await agent.stop();
  });

  await step("delete a run's record; its files are not touched", async () => {
    await page.goto(`${base}${teamPath}/runs/${runs.failed.id}`);
    await page.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this run?" });
    await dialog.getByText("/models/out/DeepSeek-V4-Pro-FP8-NVFP4 stay on the agent's disk").waitFor();
    await screenshot("delete-confirm");
    await dialog.getByRole("button", { name: "Delete record" }).click();
    await page.waitForURL(runsUrl);
    await page.selectOption("#filter-archived", "all");
    await expect.poll(async () => (await tableOrder()).length).toBe(3);
    expect(await app.database.prisma.run.count({ where: { id: runs.failed.id } })).toBe(0);
  });

  // Every page above ran under the server's CSP without the browser refusing anything.
  expect(cspViolations).toEqual([]);
});

it("queues a run again with changes, showing the changes first", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "run-again",
    () => page,
    () => app.server.output(),
  );
  const db = app.database.prisma;
  const { v3: original } = await seedRuns(EMAIL);

  await step("open the form prefilled from a run", async () => {
    await page.goto(`${app.baseUrl}${teamPath}/runs/${original.id}`);
    await page.getByRole("link", { name: "Run again with changes" }).click();
    await page.getByRole("heading", { name: "Run again with changes" }).waitFor();
    expect(await page.inputValue("#sourcePath")).toBe("/models/DeepSeek-V3-FP8");
    expect(await page.inputValue("#destPath")).toBe("/models/out/DeepSeek-V3-FP8-NVFP4");
    expect(await page.inputValue("#shardSizeGb")).toBe("5");
    await page.getByText("Nothing changed: this queues the same spec again.").waitFor();
  });

  const runId = await step("change the destination and shard size, see the changes, queue", async () => {
    await page.fill("#destPath", "/models/out/DeepSeek-V3-NVFP4-2GB");
    await page.fill("#shardSizeGb", "2");
    const changes = page.getByTestId("spec-changes");
    await changes.locator('tr[data-field="destPath"]').waitFor();
    expect(
      await changes.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-field"))),
    ).toEqual(["destPath", "options.shardSizeBytes"]);
    const shard = changes.locator('tr[data-field="options.shardSizeBytes"]');
    expect(await shard.textContent()).toContain("5.00 GB");
    expect(await shard.textContent()).toContain("2.00 GB");
    await screenshot("run-again-changes");
    const team = await db.team.findUniqueOrThrow({ where: { slug: LOCAL_TEAM_SLUG } });
    const user = await db.user.findUniqueOrThrow({ where: { email: EMAIL } });
    seeded = await seedAgent(app, {
      teamId: team.id,
      createdById: user.id,
      name: "models-host",
      roots: ["/models"],
    });
    await page.getByRole("button", { name: "Queue run" }).click();
    await page.waitForURL((url) => /\/runs\/(?!new$)[^/]+$/.test(url.pathname));
    return new URL(page.url()).pathname.split("/").at(-1) ?? "";
  });

  await step("the queued run has the changed spec and everything else of the original", async () => {
    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("QUEUED");
    expect(run.sourcePath).toBe(original.sourcePath);
    expect(run.destPath).toBe("/models/out/DeepSeek-V3-NVFP4-2GB");
    expect(run.options).toMatchObject({ format: "compressed-tensors", shardSizeBytes: 2_000_000_000 });
  });

  // Every page above ran under the server's CSP without the browser refusing anything.
  expect(cspViolations).toEqual([]);
});
