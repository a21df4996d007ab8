// @ts-check
/**
 * The learner's screen: their own runs (the API returns no one else's) with a live detail of
 * the chosen one — loss curve, results, samples and adapter download. Learners have no
 * cohort-wide event stream, so the list is polled; the open run streams its own events.
 */
import { ApiError, api } from "./api.js";
import { formatMetric, METRICS, TERMINAL_STATES } from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";
import { createRunDetailSlot } from "./run-detail-slot.js";
import { renderRunList, runHref, sortRuns } from "./run-list.js";

/** @typedef {import("./api.js").Run} Run */
/** @typedef {import("./api.js").MetricName} MetricName */

/** Refetch the run list this often, ms. Default 5000 (a new run shows up within 5 s). */
export const LEARNER_POLL_MS = 5000;

/**
 * Mount the learner view in `root`. Options: `me` (`{ id, name }`), `connection`,
 * `announce(text)`, `onSessionEnded()`. Returns `{ openRun(runId, { focus }), destroy() }`.
 * @param {HTMLElement} root
 * @param {import("./instructor-view.js").ViewOptions} options
 * @returns {import("./instructor-view.js").DashboardView}
 */
export function createLearnerView(root, { me, connection, announce, onSessionEnded }) {
  const summary = el("p", { class: "muted", id: "learner-summary" });
  const runListHost = el("div");
  const resultsHost = el("div", { class: "table-scroll" });
  const detailHost = el(
    "div",
    { class: "detail-host" },
    el(
      "p",
      { class: "empty" },
      "Choose a run to see its loss curve, results and adapter. Runs you submit from your notebook appear here.",
    ),
  );
  replaceChildren(
    root,
    el(
      "section",
      { id: "my-runs", class: "panel", "aria-labelledby": "my-runs-heading" },
      el("h2", { id: "my-runs-heading" }, `Your runs, ${me.name ?? me.id}`),
      summary,
      el(
        "div",
        { class: "runs-split" },
        el(
          "div",
          {},
          runListHost,
          el(
            "section",
            { id: "my-results", "aria-labelledby": "my-results-heading" },
            el("h3", { id: "my-results-heading" }, "Your results"),
            resultsHost,
          ),
        ),
        detailHost,
      ),
    ),
  );

  const runList = renderRunList(runListHost, { idPrefix: "learner-runs" });
  const pollStatus = connection.source("runs-poll");
  /** @type {Run[]} */
  let runs = [];
  const detailSlot = createRunDetailSlot(detailHost, runList, () => runs, { connection, announce, onSessionEnded });
  let destroyed = false;

  function renderResults() {
    const finished = sortRuns(runs).filter((run) => run.state === "succeeded" && run.metrics?.after);
    if (finished.length === 0) {
      replaceChildren(resultsHost, el("p", { class: "empty" }, "Metrics of your finished runs will be listed here."));
      return;
    }
    const metricNames = /** @type {MetricName[]} */ (Object.keys(METRICS));
    replaceChildren(
      resultsHost,
      dataTable({
        id: "my-results-table",
        caption: "After-training metrics of your finished runs",
        headers: ["Run", ...metricNames.map((m) => `${METRICS[m].label} after`)],
        rows: finished.map((run) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, el("a", { href: runHref(run.id) }, run.id)),
            metricNames.map((m) =>
              el(
                "td",
                { class: "num" },
                formatMetric(m, run.metrics?.after?.[m]),
                run.metrics?.before?.[m] !== undefined &&
                  el("span", { class: "muted" }, ` (was ${formatMetric(m, run.metrics.before[m])})`),
              ),
            ),
          ),
        ),
      }),
    );
  }

  async function refresh() {
    try {
      const fresh = await api.listRuns();
      if (destroyed) return;
      runs = fresh;
      const active = runs.filter((run) => !TERMINAL_STATES.has(run.state)).length;
      const succeeded = runs.filter((run) => run.state === "succeeded").length;
      summary.textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}: ${active} active, ${succeeded} succeeded.`;
      runList.update(runs);
      renderResults();
      pollStatus({ state: "open" });
      // Open the newest run on first load, so the page shows a loss curve without a click.
      if (detailSlot.openRunId === null && runs.length > 0 && !window.location.hash.startsWith("#run=")) {
        view.openRun(sortRuns(runs)[0].id);
      }
    } catch (error) {
      if (destroyed) return;
      if (error instanceof ApiError && error.status === 401) return onSessionEnded();
      pollStatus({ state: "reconnecting" });
    }
  }

  const pollTimer = setInterval(refresh, LEARNER_POLL_MS);
  refresh();

  /** @type {import("./instructor-view.js").DashboardView} */
  const view = {
    openRun(runId, { focus = false } = {}) {
      detailSlot.open(runId, { focus });
    },
    destroy() {
      destroyed = true;
      clearInterval(pollTimer);
      detailSlot.close();
      pollStatus({ state: "closed" });
    },
  };
  return view;
}
