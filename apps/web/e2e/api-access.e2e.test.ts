/**
 * API access from a terminal: a personal API token made in the browser, the HTTP API and the
 * `fp4kit remote` CLI against the real server, database and agent — queue an inspect run and
 * follow its log to the end, list, cancel, refuse bad input, and revoke the token.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateAgentToken } from "@fp4kit/db/agent-tokens";
import { ApiLogResponseSchema } from "@fp4kit/protocol";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAppInBrowser } from "./support/app-in-browser";
import { type AppServer, ECHO, REPO_ROOT } from "./support/app-server";
import { type ManagedProcess, startProcess } from "./support/processes";
import { scenario, signUpOwner } from "./support/scenario";
import { seedAgent } from "./support/seeded-agent";

const FP4KIT = join(REPO_ROOT, "packages", "quant", "bin", "fp4kit.js");

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

/** Runs `fp4kit remote …` with the token in its environment; never throws on a non-zero exit. */
async function remote(token: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [FP4KIT, "remote", ...args], {
      env: { ...process.env, FP4KIT_SERVER: app.baseUrl, FP4KIT_API_TOKEN: token },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

it("queues, follows, lists and cancels runs with an API token from a terminal", async () => {
  const { step, screenshot, cspViolations } = await scenario(
    "api-access",
    () => page,
    () => `${app.server.output().slice(-3000)}\n--- agent ---\n${agent?.output().slice(-3000) ?? ""}`,
  );
  const { teamPath, team, user } = await signUpOwner(app, page, "Alan Turing", "alan@example.com");
  const db = app.database.prisma;

  const token = await step("create a personal API token in the browser", async () => {
    await page.getByRole("link", { name: "API tokens" }).click();
    await page.waitForURL(/\/api-tokens$/);
    await page.fill("#api-token-name", "laptop CLI");
    await page.getByRole("button", { name: "Create token" }).click();
    const value = (await page.getByTestId("api-token").textContent())?.trim() ?? "";
    expect(value).toMatch(/^fp4k_/);
    await page.locator('tr[data-token-name="laptop CLI"]').getByText("never").waitFor();
    await screenshot("token-created");
    // Only its hash is stored.
    const stored = await db.apiToken.findFirstOrThrow({ where: { name: "laptop CLI" } });
    expect(stored.tokenHash).not.toContain(value.slice(5));
    return value;
  });

  const root = join(app.work, "models");
  const source = join(root, "DeepSeek-V3-FP8");
  await step("start an agent on a generated checkpoint", async () => {
    // One layer of the benchmark dimensions (about 463 MiB, the smallest sized checkpoint): a
    // conversion that is still running when the terminal cancels it.
    await generateCheckpoint({ family: "deepseek-v3", dir: source, targetBytes: 480 * 1024 ** 2, shards: 2 });
    const agentToken = generateAgentToken();
    await db.agent.create({
      data: {
        teamId: team.id,
        name: "gpu-host",
        tokenHash: agentToken.tokenHash,
        tokenPrefix: agentToken.tokenPrefix,
        createdById: user.id,
      },
    });
    agent = startProcess(
      "agent",
      process.execPath,
      ["apps/agent/bin/fp4kit-agent.js", "--server", app.baseUrl, "--root", root],
      {
        cwd: REPO_ROOT,
        echo: ECHO,
        env: { ...process.env, FP4KIT_TOKEN: agentToken.token, FP4KIT_SPOOL_DIR: join(app.work, "spool") },
      },
    );
    await agent.waitFor(/connected to .* as agent "gpu-host"/, 90_000);
  });

  await step("whoami names the user, team and role", async () => {
    const me = await remote(token, "whoami");
    expect(me.code, me.stderr).toBe(0);
    expect(me.stdout).toContain("Alan Turing <alan@example.com>, owner of Local (local)");
  });

  const runId = await step("queue an inspect run and follow its log to the end", async () => {
    const queued = await remote(token, "queue", "--kind", "inspect", "--src", source, "--follow");
    expect(queued.code, queued.stderr).toBe(0);
    const [id = "", ...printed] = queued.stdout.split("\n").slice(0, -1);
    expect(queued.stderr).toContain(`queued inspect run ${id}: ${app.baseUrl}${teamPath}/runs/${id}`);
    expect(queued.stderr).toContain(`run ${id} ended: SUCCEEDED`);
    // Every stored line exactly once, in order.
    const response = await fetch(`${app.baseUrl}/api/v1/runs/${id}/log?limit=5000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const log = ApiLogResponseSchema.parse(await response.json());
    expect(log.done).toBe(true);
    expect(log.lines.length).toBeGreaterThan(2);
    expect(printed).toEqual(log.lines.map((l) => l.line));
    return id;
  });

  await step("list and search runs", async () => {
    const listed = await remote(token, "list", "--status", "succeeded");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`^${runId}\\s+INSPECT\\s+SUCCEEDED\\s+100%\\s+DeepSeek-V3-FP8$`, "m"),
    );
    const none = await remote(token, "list", "--search", "no-such-model");
    expect(none.stdout).toBe("");
  });

  await step("cancel a queued run", async () => {
    // An agent online with the same data root as gpu-host that takes no run: a run queued for it
    // is accepted and stays queued.
    const parked = await seedAgent(app, {
      teamId: team.id,
      createdById: user.id,
      name: "parked-host",
      roots: [root],
    });
    const queued = await remote(token, "queue", "--kind", "inspect", "--src", source, "--agent", parked.id);
    expect(queued.code, queued.stderr).toBe(0);
    const id = queued.stdout.trim();
    const cancelled = await remote(token, "cancel", id);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${id}\\s+INSPECT\\s+CANCELLED`));
    const again = await remote(token, "cancel", id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("409 The run already ended (cancelled)");
    parked.disconnect();
  });

  await step("bad input and missing tokens get clear JSON errors", async () => {
    const bad = await fetch(`${app.baseUrl}/api/v1/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        kind: "CONVERT",
        agentId: null,
        sourcePath: source,
        destPath: null,
        options: {},
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: "Invalid request",
      fieldErrors: { destPath: ["CONVERT runs need a destination"] },
    });
    const anonymous = await fetch(`${app.baseUrl}/api/v1/runs`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toContain("Authorization: Bearer");
    const missing = await remote(token, "follow", "no-such-run");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404 No such run");
  });

  await step("the browser shows the last use; a revoked token is refused", async () => {
    await page.reload();
    const row = page.locator('tr[data-token-name="laptop CLI"]');
    await expect.poll(() => row.getByTestId("last-used").textContent()).not.toBe("never");
    await row.getByRole("button", { name: "Revoke" }).click();
    await page
      .getByRole("dialog", { name: 'Revoke "laptop CLI"?' })
      .getByRole("button", { name: "Revoke token" })
      .click();
    await row.getByText("revoked").waitFor();
    await screenshot("token-revoked");
    const refused = await remote(token, "whoami");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("401 This API token was revoked");
  });

  // Every page above ran under the server's CSP without the browser refusing anything.
  expect(cspViolations).toEqual([]);
});
