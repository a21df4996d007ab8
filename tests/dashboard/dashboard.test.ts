/**
 * The dashboard in a real browser (Debian's Chromium, headless) against the real lab-controller
 * on loopback, with a seeded store: two learners and an instructor, a running run, a queued one
 * and finished ones with metrics. Runner events go through the real events endpoint with the
 * run's token, so the loss curve moves the way it does in class.
 *
 * Screenshots land in tests/artifacts/dashboard-*.png; with UPDATE_DOCS_SCREENSHOTS=1 they are
 * also copied to docs/images/ for docs/dashboard.md.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, openPage, saveScreenshot } from "./browser";
import { type SeededController, startSeededController } from "./seeded-controller";

const DOCS_IMAGES_DIR = path.resolve(import.meta.dirname, "../../docs/images");

async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/`);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.locator("#account-name").textContent()).not.toBe("");
}

async function keepScreenshot(page: Page, name: string): Promise<void> {
  const file = await saveScreenshot(page, name, { fullPage: true });
  if (process.env.UPDATE_DOCS_SCREENSHOTS === "1") {
    await mkdir(DOCS_IMAGES_DIR, { recursive: true });
    await copyFile(file, path.join(DOCS_IMAGES_DIR, `${name}.png`));
  }
}

const pointCount = (page: Page) => page.locator("figure.loss-chart").getAttribute("data-point-count").then(Number);

describe.runIf(chromiumAvailable())("the dashboard in Chromium", () => {
  let controller: SeededController;
  let browser: Browser;

  beforeAll(async () => {
    [controller, browser] = await Promise.all([startSeededController(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await controller?.close();
  });

  it("refuses a wrong token with a message that says where to find the right one", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(`${controller.url}/dashboard/`);
    await page.getByLabel("Access token").fill("not-a-token");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/not accepted.*LABKIT_TOKEN/);
    await expect.poll(() => page.locator("#account").isHidden()).toBe(true);
    await context.close();
  });

  it("shows an instructor the whole cohort: learners, runs by state, GPU map, queue, budget, leaderboard", async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, controller.url, controller.tokens.instructor);
    await expect.poll(() => page.locator("#account-name").textContent()).toContain("(instructor)");

    const counts = page.locator("#runs-by-state");
    await expect.poll(() => counts.locator('[data-state="running"] .count').textContent()).toBe("1");
    await expect.poll(() => counts.locator('[data-state="queued"] .count').textContent()).toBe("1");
    await expect.poll(() => counts.locator('[data-state="succeeded"] .count').textContent()).toBe("2");

    const gpu = page.locator(".gpu-card").filter({ hasText: controller.runs.adaRunning });
    await expect.poll(() => gpu.count()).toBe(1);
    expect(await gpu.textContent()).toMatch(/used, .* free of/);

    const queueRow = page.locator("#queue-table tbody tr");
    await expect.poll(() => queueRow.count()).toBe(1);
    expect(await queueRow.textContent()).toContain(controller.runs.alanQueued);

    // Every learner's runs are listed, both learners on the leaderboard.
    for (const runId of Object.values(controller.runs)) {
      await expect.poll(() => page.locator(`#runs a.run-link[data-run-id="${runId}"]`).count()).toBe(1);
    }
    await expect.poll(() => page.locator("#leaderboard-table tbody tr").count()).toBe(2);
    expect(await page.locator("#cost-so-far").textContent()).toMatch(/^\$\d+\.\d\d$/);
    expect(await page.locator("#export-runs").getAttribute("href")).toMatch(/^blob:/);
    // The export is written in the browser by csv-stringify (served at vendor/, per the import map).
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export-runs").click()]);
    const runsCsv = await readFile(await download.path(), "utf8");
    expect(runsCsv).toMatch(/^run,learner,exercise,state,base_model,/);
    expect(runsCsv.split("\r\n").filter((line) => line !== "")).toHaveLength(Object.keys(controller.runs).length + 1);

    // Keyboard: focus the first run, arrow down to the next, Enter opens it.
    await page.locator("#runs a.run-link").first().focus();
    await page.keyboard.press("ArrowDown");
    const focusedRunId = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.runId);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#run-detail-heading").textContent()).toBe(`Run ${focusedRunId}`);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("run-detail-heading");

    // A finished run shows its VRAM estimate beside the measured peak, its metrics and samples.
    await page.locator(`#runs a.run-link[data-run-id="${controller.runs.adaSucceeded}"]`).click();
    await expect.poll(() => page.locator("#run-metrics-table tbody tr").count()).toBeGreaterThan(0);
    expect(await page.locator(".vram-table").textContent()).toMatch(/Estimate.*Granted.*Measured peak\d/s);
    expect(await page.locator("#vram-comparison").textContent()).toMatch(/measured peak is \d+% of the estimate/);
    await expect.poll(() => page.locator(".run-downloads a").count()).toBe(2);

    // Laid out for a laptop: nothing wider than the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await keepScreenshot(page, "dashboard-instructor");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows a learner their own runs and nothing of another learner's", async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, controller.url, controller.tokens.ada);
    await expect.poll(() => page.locator("#account-name").textContent()).toContain("(learner)");
    await expect.poll(() => page.locator("a.run-link").count()).toBe(2);
    const listed = await page
      .locator("a.run-link")
      .evaluateAll((links) => links.map((a) => (a as HTMLElement).dataset.runId));
    expect(listed.sort()).toEqual([controller.runs.adaRunning, controller.runs.adaSucceeded].sort());
    expect(await page.locator("body").textContent()).not.toContain(controller.runs.alanQueued);
    expect(await page.locator("#gpus, #queue, #leaderboard").count()).toBe(0);

    // Opening another learner's run by its link shows an error, not the run.
    await page.goto(`${controller.url}/dashboard/#run=${controller.runs.alanSucceeded}`);
    await expect.poll(() => page.locator(".run-status .error").textContent()).toMatch(/could not be loaded/);
    expect(await page.locator("#run-metrics-table").count()).toBe(0);

    await page.locator(`a.run-link[data-run-id="${controller.runs.adaSucceeded}"]`).click();
    await expect.poll(() => page.locator(".run-downloads a", { hasText: "Download adapter" }).count()).toBe(1);
    await expect.poll(() => page.locator(".sample").count()).toBeGreaterThan(0);
    await page.locator(`a.run-link[data-run-id="${controller.runs.adaRunning}"]`).click();
    await expect.poll(() => pointCount(page)).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await keepScreenshot(page, "dashboard-learner");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("sends every request through the two paths the gateway routes to the controller: the page under /dashboard/, the API and event streams under /api/v1/", async () => {
    const { context, page, problems, requests } = await openPage(browser);
    await signIn(page, controller.url, controller.tokens.instructor);
    await expect.poll(() => page.locator("#leaderboard-table tbody tr").count()).toBe(2);
    await page.locator(`#runs a.run-link[data-run-id="${controller.runs.adaRunning}"]`).click();
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");
    await page.locator(`#runs a.run-link[data-run-id="${controller.runs.adaSucceeded}"]`).click();
    await expect.poll(() => page.locator(".run-downloads a").count()).toBe(2);

    const toController = requests.filter((r) => r.url.origin === new URL(controller.url).origin);
    const outside = toController.filter((r) => !/^\/(dashboard|api)\//.test(r.url.pathname));
    expect(outside.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([]);
    const apiCalls = toController.filter((r) => r.url.pathname.startsWith("/api/")).map((r) => r.url.pathname);
    for (const path of [
      "/api/v1/login",
      "/api/v1/runs",
      "/api/v1/cohort",
      "/api/v1/leaderboard",
      "/api/v1/events",
      `/api/v1/runs/${controller.runs.adaRunning}/events`,
      `/api/v1/runs/${controller.runs.adaRunning}/loss`,
      `/api/v1/runs/${controller.runs.adaSucceeded}/artifacts`,
    ]) {
      expect(apiCalls, path).toContain(path);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it("draws the loss curve further as the runner's progress events arrive", async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, controller.url, controller.tokens.ada);
    await page.locator(`a.run-link[data-run-id="${controller.runs.adaRunning}"]`).click();
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");
    const before = await pointCount(page);
    expect(before).toBeGreaterThan(0);

    const step = await controller.sendProgress(controller.runs.adaRunning, 0.91);
    await expect.poll(() => pointCount(page)).toBe(before + 1);
    expect(await page.locator(".chart-summary").textContent()).toContain(`Latest loss 0.9100 at step ${step}`);
    expect(await page.locator("#run-progress-text").textContent()).toContain(`step ${step}`);

    await controller.sendProgress(controller.runs.adaRunning, 0.87);
    await expect.poll(() => pointCount(page)).toBe(before + 2);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("says it is reconnecting while the controller restarts, then resumes the loss curve", async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, controller.url, controller.tokens.instructor);
    await page.goto(`${controller.url}/dashboard/#run=${controller.runs.adaRunning}`);
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");
    // "Live" may come from the cohort stream alone, before the run's loss has loaded (and its stream opened).
    await expect.poll(() => pointCount(page)).toBeGreaterThan(0);
    const before = await pointCount(page);

    await controller.stop();
    await expect.poll(() => page.locator("#connection").textContent(), { timeout: 15_000 }).toMatch(/^Reconnecting/);
    await controller.start();
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 20_000 })
      .toBe("Live")
      .catch(async (e) => {
        console.log(await page.locator("#connection").getAttribute("data-sources"));
        throw e;
      });

    // The session survived the restart, and events after it reach the open chart.
    await controller.sendProgress(controller.runs.adaRunning, 0.8);
    await expect.poll(() => pointCount(page), { timeout: 10_000 }).toBe(before + 1);
    expect(await page.locator("#account").isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });
});
