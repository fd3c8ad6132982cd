import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.FP4KIT_CHROMIUM ?? "/usr/bin/chromium";

/** Debian's Chromium, headless, with a fresh profile and no background network traffic. */
export async function launchChromium(): Promise<BrowserContext> {
  const userDataDir = await mkdtemp(join(tmpdir(), "fp4kit-e2e-chromium-"));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
