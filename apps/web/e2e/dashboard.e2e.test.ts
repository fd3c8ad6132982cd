/**
 * The whole product through a real browser: sign up, create an agent token, start a real agent on a
 * generated checkpoint, queue inspect and convert, watch the live log grow, compare the two runs,
 * download the inspect report, and queue a conversion for another engine under the form's rules.
 * Screenshots go to apps/web/test-artifacts/e2e/.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "@fp4kit/quant/cli";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOCAL_TEAM_SLUG } from "../src/server/domain/teams/local-team";
import { startAppInBrowser } from "./support/app-in-browser";
import { APP_DIR, type AppServer, ECHO, REPO_ROOT } from "./support/app-server";
import { type ManagedProcess, startProcess } from "./support/processes";

const ARTIFACTS = join(APP_DIR, "test-artifacts", "e2e", "dashboard");

let app: AppServer;
let work: string;
let server: ManagedProcess;
let agent: ManagedProcess | undefined;
let browser: BrowserContext;
let page: Page;
let baseUrl: string;
/** What the browser refused under the Content-Security-Policy, on any page of the journey. */
const cspViolations: string[] = [];

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  ({ app, browser, page } = await startAppInBrowser());
  ({ work, server, baseUrl } = app);
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  await app?.stop();
});

let shot = 0;
async function screenshot(name: string) {
  shot++;
  await page.screenshot({
    path: join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`),
    fullPage: true,
  });
}

/** Runs one named step; a failure says which step, with a screenshot and the server/agent output. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    await page
      ?.screenshot({ path: join(ARTIFACTS, `FAILED-${name.replace(/\W+/g, "-")}.png`), fullPage: true })
      .catch(() => {});
    const logs = `--- web server output ---\n${server?.output().slice(-3000)}\n--- agent output ---\n${agent?.output().slice(-3000) ?? "(not started)"}`;
    throw new Error(`e2e step "${name}" failed: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}

/** Waits until queueing navigated to the new run's page (away from /runs/new); returns its id. */
async function waitForRunPage(): Promise<string> {
  const runPage = /\/runs\/(?!new$)([^/?#]+)$/;
  await page.waitForURL((url) => runPage.test(url.pathname));
  return runPage.exec(new URL(page.url()).pathname)?.[1] ?? "";
}

/** The run's full log through the download route, as lines. */
async function fetchLog(runId: string): Promise<string[]> {
  const response = await page.request.get(`${baseUrl}/api/runs/${runId}/log`);
  expect(response.status()).toBe(200);
  return (await response.text()).split("\n").slice(0, -1);
}

/** The error line `fp4kit convert --src --dst` prints, without its "error: ". */
async function convertCliError(src: string, dst: string): Promise<string> {
  let err = "";
  const io = {
    stdout: () => {},
    stderr: (t: string) => {
      err += t;
    },
    stderrIsTTY: false,
    cwd: REPO_ROOT,
  };
  expect(await runCli(["node", "fp4kit", "convert", "--src", src, "--dst", dst], io)).toBe(1);
  return (err.trimEnd().split("\n").at(-1) ?? "").replace(/^error: /, "");
}

const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"];

/** The run page's status (RunStatus), from its status badge. */
async function runStatus(): Promise<string> {
  return (await page.getByTestId("run-status").getAttribute("data-status")) ?? "";
}

async function waitForFinish(timeoutMs: number) {
  await expect
    .poll(runStatus, { timeout: timeoutMs, interval: 200 })
    .toSatisfy((s: string) => TERMINAL.includes(s));
}

/** Fails with the run's own error message when it did not succeed. */
async function expectSucceeded(what: string) {
  const status = await runStatus();
  if (status === "SUCCEEDED") return;
  const alert = await page
    .getByRole("alert")
    .first()
    .textContent()
    .catch(() => null);
  throw new Error(`the ${what} run ended ${status || "in no final state"}: ${alert ?? "(no error shown)"}`);
}

it("signs up, connects an agent, runs inspect and convert, compares and downloads", async () => {
  const teamPath = await step("sign up", async () => {
    await page.goto(`${baseUrl}/sign-up`);
    await screenshot("sign-up");
    await page.fill("#name", "Ada Lovelace");
    await page.fill("#email", "ada@example.com");
    await page.fill("#password", "correct horse battery");
    await page.click("button[type=submit]");
    // The first person to sign up on an instance becomes the owner of its Local team.
    await page.waitForURL(`${baseUrl}/t/${LOCAL_TEAM_SLUG}/runs`);
    await page.getByText("No runs yet").waitFor();
    await screenshot("runs-empty");
    return new URL(page.url()).pathname.replace(/\/runs$/, "");
  });

  const token = await step("create an agent token", async () => {
    await page.getByRole("link", { name: "Agents" }).click();
    await page.waitForURL(/\/agents$/);
    await page.getByRole("button", { name: "New agent" }).click();
    await page.fill("#agent-name", "e2e-agent");
    await page.getByRole("button", { name: "Create token" }).click();
    const value = (await page.getByTestId("agent-token").textContent())?.trim() ?? "";
    expect(value).toMatch(/^fp4a_/);
    await screenshot("agent-token");
    await page.getByRole("button", { name: "I saved the token" }).click();
    return value;
  });

  const root = join(work, "models");
  const source = join(root, "DeepSeek-V3-FP8");
  await step("generate a checkpoint and start the agent", async () => {
    await mkdir(root, { recursive: true });
    // One layer of the benchmark dimensions (about 463 MiB, the smallest sized checkpoint): a
    // conversion long enough to watch its log grow.
    await generateCheckpoint({ family: "deepseek-v3", dir: source, targetBytes: 480 * 1024 ** 2, shards: 4 });
    agent = startProcess(
      "agent",
      process.execPath,
      ["apps/agent/bin/fp4kit-agent.js", "--server", baseUrl, "--root", root],
      {
        cwd: REPO_ROOT,
        echo: ECHO,
        env: { ...process.env, FP4KIT_TOKEN: token, FP4KIT_SPOOL_DIR: join(work, "spool") },
      },
    );
    // The Agents page turns the agent online live (socket.io agent:status), without a reload.
    await page.getByTestId("agent-e2e-agent").getByText("Online").waitFor({ timeout: 90_000 });
    await page.getByText("free of").first().waitFor();
    await screenshot("agent-online");
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByText("e2e-agent is online").waitFor();
    await screenshot("runs-agent-online");
  });

  const inspectRunId = await step("queue an inspect run", async () => {
    await page.goto(`${baseUrl}${teamPath}/runs/new`);
    await page.locator("label", { hasText: "e2e-agent" }).click();
    await page.locator("label", { hasText: "Inspect" }).first().click();
    await page.fill("#sourcePath", source);
    await screenshot("new-inspect-run");
    await page.getByRole("button", { name: "Queue run" }).click();
    const id = await waitForRunPage();
    await waitForFinish(120_000);
    await expectSucceeded("inspect");
    await page.getByRole("link", { name: "Inspect report" }).waitFor();
    await screenshot("inspect-run");
    return id;
  });

  const convertRunId = await step("queue a convert run and watch the live log grow", async () => {
    await page.goto(`${baseUrl}${teamPath}/runs/new?kind=CONVERT&source=${encodeURIComponent(source)}`);
    await page.locator("label", { hasText: "e2e-agent" }).click();
    await page.fill("#destPath", join(root, "DeepSeek-V3-NVFP4"));
    await page.fill("#shardSizeGb", "0.02");
    await screenshot("new-convert-run");
    await page.getByRole("button", { name: "Queue run" }).click();
    const id = await waitForRunPage();

    // Sample the line count while the run is live: it must grow while the page is open.
    const counts: number[] = [];
    const deadline = Date.now() + 120_000;
    let sawRunning = false;
    let runningShot = false;
    while (Date.now() < deadline) {
      const count = Number(await page.getByTestId("log-line-count").getAttribute("data-count"));
      if (counts.at(-1) !== count) counts.push(count);
      const status = await runStatus();
      if (status === "RUNNING") {
        sawRunning = true;
        if (!runningShot && counts.filter((c) => c > 0).length >= 2) {
          runningShot = true;
          await screenshot("convert-running");
        }
      }
      if (TERMINAL.includes(status)) break;
      await page.waitForTimeout(100);
    }
    await expectSucceeded("convert");
    // The page that followed the run live holds exactly the stored log: no gap, no duplicate.
    const stored = await fetchLog(id);
    await expect
      .poll(async () => Number(await page.getByTestId("log-line-count").getAttribute("data-count")))
      .toBe(stored.length);
    const nonZero = counts.filter((c) => c > 0);
    expect(sawRunning, "the run page showed the run as Running").toBe(true);
    expect(nonZero.length, `log line counts seen: ${counts.join(" → ")}`).toBeGreaterThanOrEqual(2);
    expect(nonZero.at(-1)).toBeGreaterThan(nonZero[0] ?? 0);
    await page.getByRole("heading", { name: "Output shards" }).waitFor();
    await page.getByRole("heading", { name: "Quality report" }).waitFor();
    await page.locator(".recharts-bar-rectangle").first().waitFor();
    await screenshot("convert-succeeded");
    return id;
  });

  await step("a conversion the converter refuses shows the line fp4kit convert prints", async () => {
    // A file where the destination folder should be: the run fails with the CLI's own line.
    const dest = join(root, "not-a-folder");
    await writeFile(dest, "a file");
    await page.goto(`${baseUrl}${teamPath}/runs/new?kind=CONVERT&source=${encodeURIComponent(source)}`);
    await page.locator("label", { hasText: "e2e-agent" }).click();
    await page.fill("#destPath", dest);
    await page.getByRole("button", { name: "Queue run" }).click();
    await waitForRunPage();
    await waitForFinish(120_000);
    expect(await runStatus()).toBe("FAILED");
    const shown = await page.getByRole("alert").filter({ hasText: "Run failed:" }).textContent();
    expect(shown).toBe(`Run failed: ${await convertCliError(source, dest)}`);
    expect(shown).toContain(`${dest} is a file where a folder is needed`);
    await screenshot("convert-refused");
  });

  await step("compare the two runs", async () => {
    await page.goto(`${baseUrl}${teamPath}/runs`);
    await page.locator(`input[aria-label*="${inspectRunId}"]`).check();
    await page.locator(`input[aria-label*="${convertRunId}"]`).check();
    await screenshot("runs-selected");
    await page.getByRole("button", { name: "Compare (2)" }).click();
    await page.waitForURL(/\/compare\?runs=/);
    const results = page.getByTestId("compare-results");
    await results.waitFor();
    await expect.poll(() => results.textContent()).toContain("Compression ratio");
    await page.getByLabel("Differences only").check();
    await screenshot("compare");
  });

  await step("open and download the inspect report", async () => {
    await page.goto(`${baseUrl}${teamPath}/runs/${inspectRunId}/report`);
    await page.getByText("Tensor patterns").waitFor();
    await screenshot("inspect-report");
    const [json] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("download-report-json").click(),
    ]);
    const jsonPath = join(ARTIFACTS, json.suggestedFilename());
    await json.saveAs(jsonPath);
    const report = JSON.parse(await readFile(jsonPath, "utf8")) as {
      schemaVersion: number;
      checkpoint: { name: string };
    };
    expect(report.schemaVersion).toBe(1);
    expect(report.checkpoint.name).toBe("DeepSeek-V3-FP8");
    const [markdown] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("download-report-md").click(),
    ]);
    const markdownPath = join(ARTIFACTS, markdown.suggestedFilename());
    await markdown.saveAs(markdownPath);
    expect(await readFile(markdownPath, "utf8")).toContain("# fp4kit inspect: DeepSeek-V3-FP8");
  });

  await step("download the convert log", async () => {
    const text = await fetchLog(convertRunId);
    await writeFile(join(ARTIFACTS, "convert.log"), text.join("\n"));
    expect(text.length).toBeGreaterThan(2);
  });

  await step("queue a convert run for TensorRT-LLM under the engine's rules", async () => {
    await page.goto(`${baseUrl}${teamPath}/runs/new?kind=CONVERT&source=${encodeURIComponent(source)}`);
    await page.locator("label", { hasText: "e2e-agent" }).click();
    const dest = join(root, "DeepSeek-V3-NVFP4-trtllm");
    await page.fill("#destPath", dest);
    await page.fill("#shardSizeGb", "0.02");
    await page.selectOption("#engine", "trtllm");
    // The engine picks ModelOpt NVFP4, which is W4A4: the form asks for input scales.
    await expect.poll(() => page.locator("#format option").first().textContent()).toContain("ModelOpt NVFP4");
    await page.locator("#inputScale").waitFor();
    // A format TensorRT-LLM does not load: the reason, and a box to write it anyway.
    await page.selectOption("#format", "compressed-tensors");
    await page
      .getByText("Not loadable: TensorRT-LLM loads NVFP4 checkpoints in the ModelOpt layout")
      .waitFor();
    await page.locator("#force").waitFor();
    await expect.poll(() => page.locator("#inputScale").count()).toBe(0);
    await screenshot("new-convert-refused-format");
    await page.selectOption("#format", "engine");
    await expect.poll(() => page.locator("#force").count()).toBe(0);
    // NVFP4 attention: refused once the agent finds a DeepSeek V4 source, so the box is offered.
    await page.selectOption("#quantizeAttention", "on");
    await page.getByText("Refused for DeepSeek V4 sources: DeepSeek V4 attention must stay FP8").waitFor();
    await page.locator("#force").waitFor();
    await page.selectOption("#quantizeAttention", "preset");
    await expect.poll(() => page.locator("#force").count()).toBe(0);
    // Without input scales the schema's own message shows under the calibration file, and nothing is queued.
    await page.getByRole("button", { name: "Queue run" }).click();
    await page.getByText("ModelOpt NVFP4 (W4A4) needs activation input scales").waitFor();
    await page.fill("#inputScale", "0.5");
    await screenshot("new-convert-trtllm");
    await page.getByRole("button", { name: "Queue run" }).click();
    await waitForRunPage();
    await waitForFinish(120_000);
    await expectSucceeded("TensorRT-LLM convert");
    // The agent wrote the layout TensorRT-LLM reads: hf_quant_config.json with NVFP4.
    const hf = JSON.parse(await readFile(join(dest, "hf_quant_config.json"), "utf8"));
    expect(hf.quantization).toMatchObject({ quant_algo: "NVFP4", group_size: 16 });
    const config = JSON.parse(await readFile(join(dest, "config.json"), "utf8"));
    expect(config.quantization_config).toMatchObject({ quant_method: "modelopt", quant_algo: "NVFP4" });
    await screenshot("convert-trtllm-succeeded");
  });

  // Every page above ran under the server's nonce-based CSP without the browser refusing anything.
  expect(cspViolations).toEqual([]);
});
