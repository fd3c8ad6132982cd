/**
 * Lineage: from an inspected checkpoint, "Convert this checkpoint", then "Verify this output" and
 * "Calibrate for W4A4" on the conversion; each queued run continues the one it came from, and the
 * chain shows on every run's page and in compare. Runs end as agents would report it (written to
 * the database); everything else goes through the real server and Chromium.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAppInBrowser } from "./support/app-in-browser";
import type { AppServer } from "./support/app-server";
import { scenario, signUpOwner } from "./support/scenario";
import { seedAgent } from "./support/seeded-agent";

let app: AppServer;
let seeded: Awaited<ReturnType<typeof seedAgent>> | undefined;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  ({ app, browser, page } = await startAppInBrowser());
});

afterAll(async () => {
  seeded?.disconnect();
  await browser?.close();
  await app?.stop();
});

/** The kinds of the lineage card's runs, top to bottom. */
function lineageKinds(): Promise<string[]> {
  return page
    .getByTestId("run-lineage")
    .locator("[data-lineage-run]")
    .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-kind") ?? ""));
}

it("chains inspect, convert, calibrate and verify, and shows the chain", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "lineage",
    () => page,
    () => app.server.output(),
  );
  const base = app.baseUrl;
  const { teamPath, team, user } = await signUpOwner(app, page, "Lise Meitner", "lise@example.com");
  const db = app.database.prisma;
  seeded = await seedAgent(app, {
    teamId: team.id,
    createdById: user.id,
    name: "models-host",
    roots: ["/models"],
  });
  const source = "/models/DeepSeek-V3-FP8";
  const inspect = await db.run.create({
    data: {
      teamId: team.id,
      createdById: user.id,
      kind: "INSPECT",
      status: "SUCCEEDED",
      model: "DeepSeek-V3-FP8",
      sourcePath: source,
      options: {},
      startedAt: new Date(Date.now() - 5000),
      finishedAt: new Date(),
      progress: 1,
    },
  });
  /** Queues the form as it is and returns the new run's id. */
  async function queue(): Promise<string> {
    await page.getByRole("button", { name: "Queue run" }).click();
    await page.waitForURL((url) => /\/runs\/(?!new$)[^/]+$/.test(url.pathname));
    return new URL(page.url()).pathname.split("/").at(-1) ?? "";
  }

  const convertId = await step("convert the inspected checkpoint", async () => {
    await page.goto(`${base}${teamPath}/runs/${inspect.id}`);
    await page.getByRole("link", { name: "Convert this checkpoint" }).click();
    await page.getByText("Continues inspect run DeepSeek-V3-FP8").waitFor();
    expect(await page.inputValue("#sourcePath")).toBe(source);
    await page.fill("#destPath", "/models/DeepSeek-V3-NVFP4");
    const id = await queue();
    await expect.poll(lineageKinds).toEqual(["INSPECT", "CONVERT"]);
    return id;
  });
  // The agent would report this when the conversion ends.
  await db.run.update({
    where: { id: convertId },
    data: {
      status: "SUCCEEDED",
      progress: 1,
      startedAt: new Date(Date.now() - 60_000),
      finishedAt: new Date(),
    },
  });

  const verifyId = await step("verify the conversion's output against its FP8 source", async () => {
    await page.goto(`${base}${teamPath}/runs/${convertId}`);
    await page.getByRole("link", { name: "Verify this output" }).click();
    await page.getByText("Continues convert run DeepSeek-V3-FP8").waitFor();
    expect(await page.inputValue("#sourcePath")).toBe("/models/DeepSeek-V3-NVFP4");
    expect(await page.inputValue("#referencePath")).toBe(source);
    const id = await queue();
    await expect.poll(lineageKinds).toEqual(["INSPECT", "CONVERT", "VERIFY"]);
    await screenshot("verify-lineage");
    return id;
  });

  await step("calibrate the same checkpoint for W4A4", async () => {
    await page.goto(`${base}${teamPath}/runs/${convertId}`);
    await page.getByRole("link", { name: "Calibrate for W4A4" }).click();
    expect(await page.inputValue("#sourcePath")).toBe(source);
    await page.fill("#destPath", "/models/DeepSeek-V3-W4A4");
    await queue();
    await expect.poll(lineageKinds).toEqual(["INSPECT", "CONVERT", "CALIBRATE"]);
  });

  await step("the conversion's page shows where it came from and what followed", async () => {
    await page.goto(`${base}${teamPath}/runs/${convertId}`);
    await expect.poll(lineageKinds).toEqual(["INSPECT", "CONVERT", "VERIFY", "CALIBRATE"]);
    await screenshot("convert-lineage");
  });

  await step("compare shows each run's chain", async () => {
    await page.goto(`${base}${teamPath}/compare?runs=${convertId},${verifyId}`);
    const results = page.getByTestId("compare-results");
    await results.waitFor();
    const chain = (id: string) => id.slice(-8);
    await page
      .getByText(`inspect ${chain(inspect.id)} → convert ${chain(convertId)} → verify ${chain(verifyId)}`)
      .waitFor();
    await page
      .getByText(`inspect ${chain(inspect.id)} → convert ${chain(convertId)}`, { exact: true })
      .waitFor();
    await screenshot("compare-lineage");
  });

  expect(cspViolations).toEqual([]);
});
