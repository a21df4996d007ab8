// @ts-check
/**
 * The instructor's screen: the whole cohort at a glance (learners, runs by state, budget and
 * cost), the GPU map, the queue with wait times, every run with a live detail, the leaderboard,
 * the learners' quotas, and export links. It follows the cohort-wide event stream and refetches
 * when anything changes; a slow poll keeps wait times and GPU use current between events.
 */
import { ApiError, api } from "./api.js";
import { csvObjectUrl } from "./csv.js";
import { openEventStream } from "./event-stream.js";
import { formatDuration, formatMiB, formatPercent, formatUsd, RUN_STATES } from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";
import { renderLeaderboard } from "./leaderboard.js";
import { createRunDetailSlot } from "./run-detail-slot.js";
import { renderRunList, runHref, runsCsv, stateBadge } from "./run-list.js";

/** @typedef {import("./api.js").Run} Run */
/** @typedef {import("./api.js").CohortView} CohortView */

/**
 * What a view gets from the page (app.js): the signed-in person, the header's connection
 * indicator, a polite announcement, the way back to sign-in, and the page title.
 * @typedef {object} ViewOptions
 * @property {import("./api.js").Session} me
 * @property {import("./connection-indicator.js").ConnectionIndicator} connection
 * @property {(text: string) => void} announce
 * @property {() => void} onSessionEnded
 * @property {(text: string) => void} setTitle
 */

/**
 * A mounted view: `openRun` shows a run's detail, `destroy` stops its streams and timers.
 * @typedef {{ openRun(runId: string, options?: { focus?: boolean }): void, destroy(): void }} DashboardView
 */

/** Refetch everything this often even without events (wait times, GPU use), ms. Default 15000. */
export const INSTRUCTOR_POLL_MS = 15_000;
/** Coalesce bursts of cohort events into one refetch after this long, ms. Default 300. */
export const EVENT_REFETCH_DEBOUNCE_MS = 300;

/**
 * Count runs per state, every state present (zero when none).
 * @param {readonly Run[]} runs
 * @returns {Record<string, number>}
 */
export function countRunsByState(runs) {
  const counts = Object.fromEntries(RUN_STATES.map((state) => [state, 0]));
  for (const run of runs) counts[run.state] = (counts[run.state] ?? 0) + 1;
  return counts;
}

/**
 * A titled panel of the instructor's page, reachable by its section link (`#id`).
 * @param {string} id
 * @param {string} title
 * @param {...import("./html-element.js").Child} children
 */
function section(id, title, ...children) {
  return el(
    "section",
    { id, class: "panel", "aria-labelledby": `${id}-heading` },
    el("h2", { id: `${id}-heading` }, title),
    ...children,
  );
}

/**
 * Mount the instructor view in `root`. Options: `me` (the signed-in instructor), `connection`,
 * `announce(text)`, `onSessionEnded()`, `setTitle(text)`. Returns `{ openRun(runId, { focus }),
 * destroy() }`.
 * @param {HTMLElement} root
 * @param {ViewOptions} options
 * @returns {DashboardView}
 */
export function createInstructorView(root, { connection, announce, onSessionEnded, setTitle }) {
  const overviewHost = el("div", { class: "cards" });
  const gpuHost = el("div", { class: "gpu-map" });
  const queueHost = el("div", { class: "table-scroll" });
  const runListHost = el("div");
  const detailHost = el(
    "div",
    { class: "detail-host" },
    el("p", { class: "empty" }, "Choose a run to see its loss curve, VRAM and results."),
  );
  const leaderboardHost = el("div");
  const learnersHost = el("div", { class: "table-scroll" });
  const runsExport = el(
    "a",
    { class: "button-link", href: "#", download: "runs.csv", id: "export-runs" },
    "Download all runs (CSV)",
  );

  replaceChildren(
    root,
    el(
      "nav",
      { class: "section-nav", "aria-label": "Dashboard sections" },
      el(
        "ul",
        {},
        [
          ["overview", "Overview"],
          ["gpus", "GPUs"],
          ["queue", "Queue"],
          ["runs", "Runs"],
          ["leaderboard", "Leaderboard"],
          ["learners", "Learners"],
        ].map(([id, label]) => el("li", {}, el("a", { href: `#${id}` }, label))),
      ),
    ),
    el(
      "div",
      { class: "instructor-grid" },
      section("overview", "Cohort overview", overviewHost),
      section("gpus", "GPU map", gpuHost),
      section("queue", "Queue", queueHost),
      section(
        "runs",
        "Runs",
        el("div", { class: "toolbar end" }, runsExport),
        el("div", { class: "runs-split" }, runListHost, detailHost),
      ),
      section("leaderboard", "Leaderboard", leaderboardHost),
      section("learners", "Learners", learnersHost),
    ),
  );

  /** The cohort view as last fetched; null until the first refresh answers. @type {CohortView | null} */
  let cohort = null;
  /** @type {Run[]} */
  let runs = [];
  /** @type {string | null} */
  let runsExportUrl = null;
  const learnerName = (/** @type {string} */ id) => cohort?.learners.find((learner) => learner.id === id)?.name ?? id;
  const runList = renderRunList(runListHost, { idPrefix: "instructor-runs", showLearner: true, learnerName });
  const detailSlot = createRunDetailSlot(detailHost, runList, () => runs, {
    connection,
    announce,
    showLearner: true,
    learnerName,
    onSessionEnded,
  });
  const leaderboard = renderLeaderboard(leaderboardHost, { learnerName, runHref });

  // The render functions run after a refresh has fetched the cohort; each returns early before.
  function renderOverview() {
    if (!cohort) return;
    const counts = countRunsByState(runs);
    const budget = cohort.budget;
    const budgetFraction = budget.gpuMinutesBudget > 0 ? budget.gpuMinutesUsed / budget.gpuMinutesBudget : 0;
    const running = cohort.learners.reduce((sum, learner) => sum + (learner.usage?.runningRuns ?? 0), 0);
    replaceChildren(
      overviewHost,
      el(
        "div",
        { class: "card" },
        el("h3", {}, "Learners"),
        el("p", { class: "big" }, cohort.learners.length),
        el("p", { class: "muted" }, `${running} run${running === 1 ? "" : "s"} on GPUs now`),
      ),
      el(
        "div",
        { class: "card" },
        el("h3", {}, "Runs by state"),
        el(
          "ul",
          { class: "state-counts", id: "runs-by-state" },
          RUN_STATES.map((state) =>
            el("li", { dataset: { state } }, stateBadge(state), el("span", { class: "count" }, counts[state])),
          ),
        ),
      ),
      el(
        "div",
        { class: "card" },
        el("h3", { id: "budget-heading" }, "GPU-minutes"),
        el(
          "p",
          { class: "big" },
          `${Math.round(budget.gpuMinutesUsed)}`,
          el("span", { class: "muted" }, ` of ${Math.round(budget.gpuMinutesBudget)}`),
        ),
        el("meter", {
          min: 0,
          max: Math.max(budget.gpuMinutesBudget, 1),
          value: budget.gpuMinutesUsed,
          low: budget.gpuMinutesBudget * 0.75,
          high: budget.gpuMinutesBudget * 0.9,
          optimum: 0,
          "aria-labelledby": "budget-heading",
        }),
        el("p", { class: "muted" }, `${formatPercent(budgetFraction)} of the cohort's GPU budget used`),
      ),
      el(
        "div",
        { class: "card" },
        el("h3", {}, "Cost so far"),
        el("p", { class: "big", id: "cost-so-far" }, formatUsd(budget.costUsdSoFar)),
        el("p", { class: "muted" }, "GPU node time at on-demand prices"),
      ),
    );
  }

  function renderGpus() {
    if (!cohort) return;
    if (cohort.gpus.length === 0) {
      replaceChildren(
        gpuHost,
        el("p", { class: "empty" }, "No GPU nodes are up (the GPU pool may be scaled to zero between sessions)."),
      );
      return;
    }
    const runById = new Map(runs.map((run) => [run.id, run]));
    replaceChildren(
      gpuHost,
      cohort.gpus.map((gpu) => {
        const id = `gpu-${gpu.node}-${gpu.index}`.replace(/[^A-Za-z0-9_-]/g, "-");
        const freeMiB = Math.max(0, gpu.totalMiB - gpu.usedMiB);
        return el(
          "article",
          {
            class: "gpu-card",
            "aria-labelledby": `${id}-title`,
            dataset: { node: gpu.node, index: String(gpu.index) },
          },
          el("h3", { id: `${id}-title` }, `${gpu.node} · GPU ${gpu.index}`),
          el("p", { class: "muted" }, gpu.product),
          el("meter", {
            min: 0,
            max: Math.max(gpu.totalMiB, 1),
            value: gpu.usedMiB,
            high: gpu.totalMiB * 0.9,
            "aria-labelledby": `${id}-title`,
            "aria-describedby": `${id}-usage`,
          }),
          el(
            "p",
            { id: `${id}-usage` },
            `${formatMiB(gpu.usedMiB)} used, ${formatMiB(freeMiB)} free of ${formatMiB(gpu.totalMiB)}`,
          ),
          gpu.runs.length === 0
            ? el("p", { class: "muted" }, "Idle")
            : el(
                "ul",
                { class: "gpu-runs", "aria-label": `Runs on ${gpu.node} GPU ${gpu.index}` },
                gpu.runs.map((runId) => {
                  const run = runById.get(runId);
                  return el(
                    "li",
                    {},
                    el("a", { href: runHref(runId) }, runId),
                    run
                      ? ` ${learnerName(run.learnerId)} · ${formatMiB(run.grantedMiB ?? run.estimate?.totalMiB)}`
                      : "",
                  );
                }),
              ),
        );
      }),
    );
  }

  function renderQueue() {
    if (!cohort) return;
    if (cohort.queue.length === 0) {
      replaceChildren(queueHost, el("p", { class: "empty" }, "Nothing is waiting: every admitted run has a GPU."));
      return;
    }
    const runById = new Map(runs.map((run) => [run.id, run]));
    replaceChildren(
      queueHost,
      dataTable({
        id: "queue-table",
        caption: "Queued runs in order, with how long each has waited",
        headers: ["#", "Run", "Learner", "Needs", "Waiting", "Expected start"],
        rows: [...cohort.queue]
          .sort((a, b) => a.position - b.position)
          .map((entry) => {
            const run = runById.get(entry.runId);
            return el(
              "tr",
              {},
              el("td", {}, entry.position),
              el("th", { scope: "row" }, el("a", { href: runHref(entry.runId) }, entry.runId)),
              el("td", {}, learnerName(entry.learnerId)),
              el("td", { class: "num" }, formatMiB(run?.estimate?.totalMiB)),
              el("td", {}, formatDuration(entry.waitingSeconds)),
              el("td", {}, typeof run?.etaSeconds === "number" ? `in ${formatDuration(run.etaSeconds)}` : "–"),
            );
          }),
      }),
    );
  }

  function renderLearners() {
    if (!cohort) return;
    replaceChildren(
      learnersHost,
      dataTable({
        id: "learners-table",
        caption: "Learners with their quotas and use",
        headers: ["Learner", "Running", "VRAM in use", "GPU-minutes used"],
        rows: cohort.learners.map((learner) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, learner.name, el("span", { class: "muted" }, ` (${learner.id})`)),
            el("td", { class: "num" }, `${learner.usage?.runningRuns ?? 0} of ${learner.quota?.concurrentRuns ?? "–"}`),
            el(
              "td",
              { class: "num" },
              `${formatMiB(learner.usage?.vramMiB ?? 0)} of ${formatMiB(learner.quota?.vramMiB)}`,
            ),
            el(
              "td",
              { class: "num" },
              `${Math.round(learner.usage?.gpuMinutesUsed ?? 0)} of ${learner.quota?.gpuMinutes ?? "–"}`,
            ),
          ),
        ),
      }),
    );
  }

  /** The refresh in flight; `again` asks for one more after it. @type {{ again: boolean } | null} */
  let refreshing = null;
  let destroyed = false;
  async function refresh() {
    if (destroyed) return;
    // One refresh at a time; a request during one runs once more after it.
    if (refreshing) {
      refreshing.again = true;
      return;
    }
    const current = { again: false };
    refreshing = current;
    try {
      const [freshCohort, freshRuns, entries] = await Promise.all([
        api.getCohort(),
        api.listRuns(),
        api.getLeaderboard(),
      ]);
      if (destroyed) return;
      cohort = freshCohort;
      runs = freshRuns;
      setTitle(cohort.cohort?.title ?? cohort.cohort?.name ?? "dashboard");
      renderOverview();
      renderGpus();
      renderQueue();
      renderLearners();
      runList.update(runs, freshCohort.learners);
      leaderboard.update(entries);
      runsExportUrl = csvObjectUrl(runsCsv(runs), runsExportUrl);
      runsExport.href = runsExportUrl;
      pollStatus({ state: "open" });
    } catch (error) {
      if (destroyed) return;
      if (error instanceof ApiError && error.status === 401) return onSessionEnded();
      pollStatus({ state: "reconnecting" });
    } finally {
      refreshing = null;
      if (current.again) refresh();
    }
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let eventTimer;
  function scheduleRefresh() {
    clearTimeout(eventTimer);
    eventTimer = setTimeout(refresh, EVENT_REFETCH_DEBOUNCE_MS);
  }

  const pollStatus = connection.source("cohort-poll");
  const cohortStream = openEventStream(api.cohortEventsUrl(), {
    onEvent: scheduleRefresh,
    onStatus: connection.source("cohort-events"),
    onReopen: refresh,
    onEnd: (reason) => {
      if (reason === "unauthorized") onSessionEnded();
    },
  });
  const pollTimer = setInterval(refresh, INSTRUCTOR_POLL_MS);
  refresh();

  return {
    openRun(runId, { focus = false } = {}) {
      detailSlot.open(runId, { focus, scroll: true });
    },
    destroy() {
      destroyed = true;
      cohortStream.close();
      clearInterval(pollTimer);
      clearTimeout(eventTimer);
      detailSlot.close();
      pollStatus({ state: "closed" });
    },
  };
}
