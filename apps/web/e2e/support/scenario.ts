import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { LOCAL_TEAM_SLUG } from "../../src/server/domain/teams/local-team";
import { APP_DIR, type AppServer } from "./app-server";

/**
 * Numbered screenshots into test-artifacts/e2e/<name>/, named steps whose failure says which step
 * failed, with a screenshot and the tail of the processes' output, and the Content-Security-Policy
 * violations the browser reported on the page meanwhile (a scenario ends by expecting none).
 */
export async function scenario(name: string, page: () => Page, output: () => string) {
  const artifacts = join(APP_DIR, "test-artifacts", "e2e", name);
  await rm(artifacts, { recursive: true, force: true });
  await mkdir(artifacts, { recursive: true });
  const cspViolations: string[] = [];
  page().on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  let shot = 0;
  return {
    artifacts,
    cspViolations,
    async screenshot(label: string) {
      shot++;
      await page().screenshot({
        path: join(artifacts, `${String(shot).padStart(2, "0")}-${label}.png`),
        fullPage: true,
      });
    },
    async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (error) {
        await page()
          .screenshot({ path: join(artifacts, `FAILED-${label.replace(/\W+/g, "-")}.png`), fullPage: true })
          .catch(() => {});
        throw new Error(`e2e step "${label}" failed: ${(error as Error).message}\n${output().slice(-4000)}`, {
          cause: error,
        });
      }
    },
  };
}

/** Signs up on a fresh instance: the first account owns the Local team; returns the team's path. */
export async function signUpFirstUser(page: Page, baseUrl: string, name: string, email: string) {
  await page.goto(`${baseUrl}/sign-up`);
  await page.fill("#name", name);
  await page.fill("#email", email);
  await page.fill("#password", "correct horse battery");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/t\/[^/]+\/runs$/);
  return new URL(page.url()).pathname.replace(/\/runs$/, "");
}

/** signUpFirstUser, then the rows it made: the Local team it owns and the user, for seeding. */
export async function signUpOwner(app: AppServer, page: Page, name: string, email: string) {
  const teamPath = await signUpFirstUser(page, app.baseUrl, name, email);
  const db = app.database.prisma;
  const team = await db.team.findUniqueOrThrow({ where: { slug: LOCAL_TEAM_SLUG } });
  const user = await db.user.findUniqueOrThrow({ where: { email } });
  return { teamPath, team, user };
}
