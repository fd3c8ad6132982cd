import type { BrowserContext, Page } from "playwright-core";
import { type AppServer, startAppServer } from "./app-server";
import { launchChromium } from "./browser";

export interface AppInBrowser {
  app: AppServer;
  browser: BrowserContext;
  /** The browser's first page; what a step waits for may take 30 s on a loaded machine. */
  page: Page;
}

/** What most scenarios start from: the app on a fresh database and Chromium with one page. */
export async function startAppInBrowser(): Promise<AppInBrowser> {
  const app = await startAppServer();
  try {
    const browser = await launchChromium();
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);
    return { app, browser, page };
  } catch (error) {
    await app.stop();
    throw error;
  }
}
