/**
 * Debian's Chromium driven by playwright-core for the dashboard tests. No browser is downloaded:
 * the tests need `/usr/bin/chromium` (or `LABKIT_CHROMIUM`). Each launch gets a fresh, temporary
 * user-data dir from Playwright, and each role gets its own browser context (its own cookie jar).
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Chromium binary the tests drive. Default `/usr/bin/chromium` (Debian's package). */
export const CHROMIUM_PATH = process.env.LABKIT_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for a quiet, sandbox-free headless Chromium in a container. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A laptop screen, the size the dashboard is laid out for. */
export const LAPTOP_VIEWPORT = { width: 1366, height: 768 };

/** Where test screenshots go (ignored by git). */
export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, "../artifacts");

/** Whether the browser the tests need is installed. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Launch headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A page in a new context at laptop size that records console errors, failed page scripts, and
 * every request it sends (method and URL, in order).
 */
export async function openPage(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; problems: string[]; requests: Array<{ method: string; url: URL }> }> {
  const context = await browser.newContext({ viewport: LAPTOP_VIEWPORT });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: Array<{ method: string; url: URL }> = [];
  page.on("request", (request) => requests.push({ method: request.method(), url: new URL(request.url()) }));
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // 401s before sign-in and refused connections during a controller restart are expected;
    // anything else the console reports as an error is a bug (CSP violations included).
    if (message.type() === "error" && !/Failed to load resource|ERR_CONNECTION_REFUSED|net::ERR/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  return { context, page, problems, requests };
}

/** Save a screenshot of `page` to tests/artifacts/<name>.png and return its path. */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false, animations: "disabled" });
  return file;
}
