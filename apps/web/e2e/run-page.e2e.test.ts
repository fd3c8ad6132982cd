/**
 * A finished conversion's page in Chromium against the real server and database: log permalinks
 * to a line or a range that land on every fresh load, per-line times, wrapping, "First error", the
 * metric charts (straight segments from the first sample) and their CSV, and the dashboard at a
 * phone's 390 px. The run's log and samples are written to the database as an agent's upload
 * stores them.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAppInBrowser } from "./support/app-in-browser";
import type { AppServer } from "./support/app-server";
import { scenario, signUpOwner } from "./support/scenario";

let app: AppServer;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  ({ app, browser, page } = await startAppInBrowser());
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const LINES = 3000;
const LONG_LINE = 5;
const FIRST_ERROR = 1234;
const STDERR_LINE = 2000;
const LOG_START = Date.parse("2026-12-07T09:00:00.000Z");
/** Throughput samples every 10 s from 30 s into the run, with one spike a smoothed curve would overshoot. */
const THROUGHPUT = [2e9, 2.1e9, 2e9, 9e9, 2e9, 2.05e9, 2e9, 1.9e9, 2e9, 2e9];

function logLine(n: number): { line: string; stream: "STDOUT" | "STDERR" } {
  if (n === LONG_LINE)
    return { line: `plan: ${"model.layers.0.mlp.experts.0.down_proj ".repeat(40)}`, stream: "STDOUT" };
  if (n === FIRST_ERROR)
    return { line: "ERROR shard 7: header length does not match the file", stream: "STDOUT" };
  if (n === STDERR_LINE) return { line: "warning from the kernel loader", stream: "STDERR" };
  return { line: `converted tensor ${n} of ${LINES}`, stream: "STDOUT" };
}

/** Where row `lineNo` of the log is, and whether it is inside both the log box and the window. */
async function rowPlacement(target: Page, lineNo: number) {
  return target.evaluate((n) => {
    const row = document.getElementById(`L${n}`);
    const log = document.querySelector('[role="log"]');
    if (!row || !log) return { rendered: false, inLog: false, inWindow: false, selected: false, text: "" };
    const r = row.getBoundingClientRect();
    const l = log.getBoundingClientRect();
    return {
      rendered: true,
      inLog: r.top >= l.top && r.bottom <= l.bottom,
      inWindow: r.top >= 0 && r.bottom <= window.innerHeight,
      selected: row.hasAttribute("data-selected"),
      text: row.textContent ?? "",
    };
  }, lineNo);
}

it("links, times, wraps and searches the log, charts and exports metrics, and fits a phone", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "run-page",
    () => page,
    () => app.server.output(),
  );
  const base = app.baseUrl;
  const { teamPath, team, user } = await signUpOwner(app, page, "Grace Hopper", "grace@example.com");
  const db = app.database.prisma;
  const startedAt = new Date(LOG_START);
  const run = await db.run.create({
    data: {
      teamId: team.id,
      createdById: user.id,
      kind: "CONVERT",
      status: "SUCCEEDED",
      name: "log and charts",
      model: "DeepSeek-V3-FP8",
      sourcePath: "/models/DeepSeek-V3-FP8",
      destPath: "/models/DeepSeek-V3-NVFP4",
      options: {},
      startedAt,
      finishedAt: new Date(LOG_START + 200_000),
      progress: 1,
    },
  });
  await db.runLogLine.createMany({
    data: Array.from({ length: LINES }, (_, i) => ({
      runId: run.id,
      seq: i + 1,
      ts: new Date(LOG_START + i * 50),
      ...logLine(i + 1),
    })),
  });
  await db.metricSample.createMany({
    data: THROUGHPUT.map((throughputBytesPerSec, i) => ({
      runId: run.id,
      seq: LINES + 1 + i,
      ts: new Date(LOG_START + 30_000 + i * 10_000),
      values: { throughputBytesPerSec, bytesRead: (i + 1) * 2e10, bytesWritten: (i + 1) * 0.55e10 },
    })),
  });
  const runUrl = `${base}${teamPath}/runs/${run.id}`;

  await step("a line permalink lands on its line on each of 5 fresh loads", async () => {
    const landed: boolean[] = [];
    for (let load = 0; load < 5; load++) {
      const fresh = await browser.newPage();
      await fresh.goto(`${runUrl}#L1500`);
      await fresh.locator("#L1500[data-selected]").waitFor();
      // Give a late scroll (following the tail, a replay batch) the chance to move it away.
      await fresh.waitForTimeout(500);
      const placement = await rowPlacement(fresh, 1500);
      expect(placement.text).toContain("converted tensor 1500 of 3000");
      landed.push(placement.inLog && placement.inWindow && placement.selected);
      await fresh.close();
    }
    expect(landed).toEqual([true, true, true, true, true]);
  });

  await step("a range permalink selects every line of it; shift-click makes one", async () => {
    await page.goto(`${runUrl}#L2100-L2105`);
    await page.locator("#L2100[data-selected]").waitFor();
    expect(await page.locator("[data-selected]").count()).toBe(6);
    expect((await rowPlacement(page, 2100)).inLog).toBe(true);
    await page.locator("#L2102 a").click();
    await page.locator("#L2104 a").click({ modifiers: ["Shift"] });
    expect(new URL(page.url()).hash).toBe("#L2102-L2104");
    expect(await page.locator("[data-selected]").count()).toBe(3);
    await page.reload();
    await page.locator("#L2104[data-selected]").waitFor();
    expect(await page.locator("[data-selected]").count()).toBe(3);
    await screenshot("log-range");
  });

  await step("each line's time on request, kept across reloads", async () => {
    await page.goto(`${runUrl}#L10`);
    await page.locator("#L10[data-selected]").waitFor();
    expect(await page.getByTestId("log-time").count()).toBe(0);
    await page.getByRole("button", { name: "Times" }).click();
    // Line 10 was written 9 × 50 ms after the first.
    expect(await page.locator("#L10 time").textContent()).toBe("09:00:00.450");
    await page.reload();
    await page.locator("#L10[data-selected]").waitFor();
    expect(await page.locator("#L10 time").getAttribute("datetime")).toBe("2026-12-07T09:00:00.450Z");
    await page.getByRole("button", { name: "Times" }).click();
    expect(await page.getByTestId("log-time").count()).toBe(0);
  });

  await step("long lines scroll sideways, or wrap on request", async () => {
    await page.goto(`${runUrl}#L${LONG_LINE}`);
    const row = page.locator(`#L${LONG_LINE}`);
    await row.waitFor();
    const log = page.getByRole("log");
    const overflowing = () => log.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
    expect((await row.boundingBox())?.height).toBe(20);
    expect(await overflowing()).toBe(true);
    await page.getByRole("button", { name: "Wrap" }).click();
    await expect.poll(async () => (await row.boundingBox())?.height ?? 0).toBeGreaterThan(40);
    expect(await overflowing()).toBe(false);
    await screenshot("log-wrapped");
    await page.getByRole("button", { name: "Wrap" }).click();
    await expect.poll(async () => (await row.boundingBox())?.height).toBe(20);
  });

  await step("First error jumps to the first error line, whatever the filters hide", async () => {
    await page.goto(runUrl);
    await page
      .getByTestId("log-line-count")
      .and(page.locator(`[data-count="${LINES}"]`))
      .waitFor();
    await page.selectOption("#log-stream", "SYSTEM");
    await page.getByRole("button", { name: "First error" }).click();
    await page.locator(`#L${FIRST_ERROR}[data-selected]`).waitFor();
    expect(new URL(page.url()).hash).toBe(`#L${FIRST_ERROR}`);
    expect(await page.inputValue("#log-stream")).toBe("all");
    const placement = await rowPlacement(page, FIRST_ERROR);
    expect(placement.text).toContain("ERROR shard 7");
    expect(placement.inLog).toBe(true);
    await screenshot("first-error");
  });

  await step("charts draw straight segments from the first sample", async () => {
    await page.goto(runUrl);
    const chart = page.locator("section", { has: page.getByRole("heading", { name: "Throughput" }) });
    const line = chart.locator(".recharts-line-curve");
    await line.waitFor();
    const d = (await line.getAttribute("d")) ?? "";
    // Only move-to and line-to: no curve through values never measured.
    expect(d).toMatch(/^M[^A-Za-z]+(L[^A-Za-z]+)+$/);
    expect(d.match(/L/g)).toHaveLength(THROUGHPUT.length - 1);
    const firstX = Number(/^M([\d.]+)/.exec(d)?.[1]);
    const gridLeft = Number(
      await chart.locator(".recharts-cartesian-grid-horizontal line").first().getAttribute("x1"),
    );
    expect(Math.abs(firstX - gridLeft)).toBeLessThan(1);
    // The spike is the highest point, not exceeded by the line around it.
    const ys = [...d.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => Number(m[2]));
    expect(Math.min(...ys)).toBe(ys[3]);
  });

  await step("the metrics download as CSV, every sample and metric", async () => {
    const href = (await page.getByTestId("metrics-csv").getAttribute("href")) ?? "";
    const response = await page.request.get(`${base}${href}`);
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toContain("text/csv");
    expect(response.headers()["content-disposition"]).toContain("-metrics.csv");
    const rows = (await response.text())
      .trimEnd()
      .split("\r\n")
      .map((row) => row.split(","));
    const header = rows[0] ?? [];
    expect(header.slice(0, 2)).toEqual(["time", "seconds"]);
    const column = (name: string) => header.indexOf(name);
    expect(rows).toHaveLength(THROUGHPUT.length + 1);
    expect(rows[1]?.[0]).toBe("2026-12-07T09:00:30.000Z");
    expect(rows.slice(1).map((r) => Number(r[1]))).toEqual(THROUGHPUT.map((_, i) => i * 10));
    expect(rows.slice(1).map((r) => Number(r[column("throughputBytesPerSec")]))).toEqual(THROUGHPUT);
    expect(rows[2]?.[column("bytesRead")]).toBe("40000000000");
    expect(rows[1]?.[column("gpuUtilization")]).toBe("");
    // The button is a real download.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("metrics-csv").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^DeepSeek-V3-FP8-.+-metrics\.csv$/);
  });

  await step("compare links each run's metrics CSV", async () => {
    const other = await db.run.create({
      data: {
        teamId: team.id,
        createdById: user.id,
        kind: "CONVERT",
        status: "SUCCEEDED",
        model: "DeepSeek-V3.2-FP8",
        sourcePath: "/models/DeepSeek-V3.2-FP8",
        destPath: "/models/DeepSeek-V3.2-NVFP4",
        options: {},
        startedAt,
        finishedAt: new Date(LOG_START + 100_000),
        progress: 1,
      },
    });
    await db.metricSample.createMany({
      data: [0, 1].map((i) => ({
        runId: other.id,
        seq: i + 1,
        ts: new Date(LOG_START + 5_000 + i * 10_000),
        values: { throughputBytesPerSec: 3e9 },
      })),
    });
    await page.goto(`${base}${teamPath}/compare?runs=${run.id},${other.id}`);
    const links = page.getByTestId("compare-metrics-csv");
    await links.first().waitFor();
    expect(await links.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("href")))).toEqual([
      `/api/runs/${run.id}/metrics`,
      `/api/runs/${other.id}/metrics`,
    ]);
    const csv = await (await page.request.get(`${base}/api/runs/${other.id}/metrics`)).text();
    expect(csv.trimEnd().split("\r\n")).toHaveLength(3);
  });

  await step("at 390 px the sidebar is a top bar, the runs table scrolls inside its card", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}${teamPath}/runs`);
    await page.getByRole("link", { name: "log and charts" }).waitFor();
    const pageOverflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await pageOverflow()).toBeLessThanOrEqual(0);
    const sidebar = await page.getByTestId("sidebar").boundingBox();
    expect(sidebar?.width).toBe(390);
    expect(sidebar?.height).toBeLessThan(70);
    // The table's first columns are on screen; the rest scroll inside the card.
    const name = await page.getByRole("link", { name: "log and charts" }).boundingBox();
    expect((name?.x ?? -1) >= 0 && (name?.x ?? 0) + (name?.width ?? 0) <= 390).toBe(true);
    await screenshot("phone-runs");
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
    await page.waitForURL(/\/agents$/);
    await expect.poll(() => page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(false);
    expect(await pageOverflow()).toBeLessThanOrEqual(0);
  });

  await step("at 390 px every page of the team fits the width", async () => {
    const paths = [
      "/runs/new",
      `/compare?runs=${run.id}`,
      "/agents",
      "/notifications",
      "/api-tokens",
      "/settings",
    ];
    const overflowing: string[] = [];
    for (const path of paths) {
      await page.goto(`${base}${teamPath}${path}`);
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) {
        overflowing.push(`${path}: ${overflow} px too wide`);
        await screenshot(`phone-overflow-${path.replace(/\W+/g, "-")}`);
      }
    }
    expect(overflowing).toEqual([]);
  });

  await step("at 390 px a run's page fits, its log included", async () => {
    await page.goto(`${runUrl}#L1500`);
    await page.locator("#L1500[data-selected]").waitFor();
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    const placement = await rowPlacement(page, 1500);
    expect(placement.inLog && placement.inWindow).toBe(true);
    await screenshot("phone-run");
  });

  expect(cspViolations).toEqual([]);
});
