// @ts-check
/**
 * The run list: a table of runs, filterable by state (and learner, for instructors), where each
 * run is a link — Tab reaches the list, the arrow keys move between runs, Enter opens one.
 * Redrawing keeps keyboard focus on the run that had it.
 */
import { toCsv } from "./csv.js";
import { formatClockTime, formatLoss, formatMiB, formatProgress, RUN_STATES } from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";

/** @typedef {import("./api.js").Run} Run */
/** @typedef {import("./api.js").RunState} RunState */

/**
 * The run list of a view: `update` redraws it with new runs (and, for instructors, the learner
 * filter's learners), `select` marks the open run, `focusRun` moves keyboard focus to a run.
 * @typedef {object} RunList
 * @property {(runs: Run[], learners?: ReadonlyArray<{ id: string, name?: string }>) => void} update
 * @property {(runId: string) => void} select
 * @property {(runId: string) => void} focusRun
 */

/** @type {Readonly<Record<RunState, number>>} */
const STATE_ORDER = { running: 0, starting: 1, queued: 2, failed: 3, succeeded: 4, cancelled: 5 };

/**
 * Active runs first (running, starting, queued), then finished ones; newest first within each.
 * @param {readonly Run[]} runs
 * @returns {Run[]}
 */
export function sortRuns(runs) {
  return [...runs].sort(
    (a, b) =>
      (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) ||
      String(b.createdAt ?? "").localeCompare(String(a.createdAt ?? "")) ||
      String(a.id).localeCompare(String(b.id)),
  );
}

/**
 * Every run as CSV: one row per run with its state, VRAM, loss and metrics (the instructor's export).
 * @param {readonly Run[]} runs
 * @returns {string}
 */
export function runsCsv(runs) {
  /** @type {import("./api.js").MetricName[]} */
  const metricNames = ["perplexity", "rougeL", "bleu"];
  const header = [
    "run",
    "learner",
    "exercise",
    "state",
    "base_model",
    "method",
    "estimate_mib",
    "granted_mib",
    "peak_vram_mib",
    "step",
    "total_steps",
    "last_loss",
    ...metricNames.flatMap((m) => [`${m}_before`, `${m}_after`]),
    "created_at",
    "started_at",
    "finished_at",
    "reason",
  ];
  const rows = sortRuns(runs).map((run) => [
    run.id,
    run.learnerId,
    run.exercise,
    run.state,
    run.spec?.baseModel,
    run.spec?.method,
    run.estimate?.totalMiB,
    run.grantedMiB,
    run.peakVramMiB,
    run.step,
    run.totalSteps,
    run.lastLoss,
    ...metricNames.flatMap((m) => [run.metrics?.before?.[m], run.metrics?.after?.[m]]),
    run.createdAt,
    run.startedAt,
    run.finishedAt,
    run.reason,
  ]);
  return toCsv([header, ...rows]);
}

/**
 * The link of a run in the page (`#run=<id>`).
 * @param {string} runId
 * @returns {string}
 */
export function runHref(runId) {
  return `#run=${encodeURIComponent(runId)}`;
}

/**
 * A run's state as a labelled badge.
 * @param {RunState} state
 * @returns {HTMLSpanElement}
 */
export function stateBadge(state) {
  return el("span", { class: `badge state-${state}` }, state);
}

/**
 * Draw the list into `container`. Options: `idPrefix` (unique ids per view), `showLearner`
 * (add the learner column and filter), `learnerName(id)`. Returns `{ update(runs, learners?),
 * select(runId), focusRun(runId) }`.
 * @param {HTMLElement} container
 * @param {{ idPrefix: string, showLearner?: boolean, learnerName?: (learnerId: string) => string }} options
 * @returns {RunList}
 */
export function renderRunList(container, { idPrefix, showLearner = false, learnerName = (id) => id }) {
  /** @type {Run[]} */
  let runs = [];
  /** @type {string | null} */
  let selectedRunId = null;
  const stateFilter = el(
    "select",
    { id: `${idPrefix}-state-filter`, onchange: draw },
    el("option", { value: "" }, "All states"),
    el("option", { value: "active" }, "Active (queued, starting, running)"),
    RUN_STATES.map((state) => el("option", { value: state }, state)),
  );
  const learnerFilter = showLearner
    ? el("select", { id: `${idPrefix}-learner-filter`, onchange: draw }, el("option", { value: "" }, "All learners"))
    : null;
  const count = el("p", { class: "muted", "aria-live": "off" });
  const tableHost = el("div", { class: "table-scroll run-list-scroll" });
  replaceChildren(
    container,
    el(
      "div",
      { class: "toolbar" },
      el("label", { for: `${idPrefix}-state-filter` }, "State"),
      stateFilter,
      learnerFilter && [el("label", { for: `${idPrefix}-learner-filter` }, "Learner"), learnerFilter],
      count,
    ),
    tableHost,
  );

  function visibleRuns() {
    const state = stateFilter.value;
    const learner = learnerFilter?.value ?? "";
    return sortRuns(runs).filter(
      (run) =>
        (state === "" ||
          (state === "active" ? ["queued", "starting", "running"].includes(run.state) : run.state === state)) &&
        (learner === "" || run.learnerId === learner),
    );
  }

  /** @param {KeyboardEvent} event */
  function onKeydown(event) {
    const links = /** @type {HTMLAnchorElement[]} */ ([...tableHost.querySelectorAll("a.run-link")]);
    const focused = document.activeElement;
    const index = focused instanceof HTMLAnchorElement ? links.indexOf(focused) : -1;
    if (index === -1) return;
    /** @type {Record<string, number>} */
    const targets = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: links.length - 1 };
    const target = Object.hasOwn(targets, event.key) ? targets[event.key] : undefined;
    if (target === undefined) return;
    event.preventDefault();
    links[Math.max(0, Math.min(links.length - 1, target))].focus();
  }

  function draw() {
    const focused = document.activeElement;
    const focusedRunId = focused instanceof HTMLElement && tableHost.contains(focused) ? focused.dataset.runId : null;
    const shown = visibleRuns();
    count.textContent = `${shown.length} of ${runs.length} run${runs.length === 1 ? "" : "s"}`;
    if (shown.length === 0) {
      replaceChildren(
        tableHost,
        el("p", { class: "empty" }, runs.length === 0 ? "No runs yet." : "No run matches the filters."),
      );
      return;
    }
    replaceChildren(
      tableHost,
      dataTable({
        className: "run-list",
        onkeydown: onKeydown,
        caption: "Runs; use the arrow keys to move between runs and Enter to open one",
        headers: ["Run", showLearner && "Learner", "Exercise", "State", "Progress", "Loss", "VRAM", "Created"],
        rows: shown.map((run) =>
          el(
            "tr",
            { class: run.id === selectedRunId ? "selected" : null, dataset: { runId: run.id } },
            el(
              "th",
              { scope: "row" },
              el(
                "a",
                {
                  class: "run-link",
                  href: runHref(run.id),
                  dataset: { runId: run.id },
                  "aria-current": run.id === selectedRunId ? "true" : null,
                },
                run.id,
              ),
            ),
            showLearner && el("td", {}, learnerName(run.learnerId)),
            el("td", {}, run.exercise),
            el("td", {}, stateBadge(run.state)),
            el(
              "td",
              {},
              formatProgress(run.step, run.totalSteps) || (run.queuePosition ? `#${run.queuePosition} in queue` : ""),
            ),
            el("td", { class: "num" }, formatLoss(run.lastLoss)),
            el("td", { class: "num" }, formatMiB(run.grantedMiB ?? run.estimate?.totalMiB)),
            el("td", {}, formatClockTime(run.createdAt)),
          ),
        ),
      }),
    );
    if (focusedRunId) runLink(focusedRunId)?.focus();
  }

  /**
   * @param {string} runId
   * @returns {HTMLAnchorElement | null}
   */
  function runLink(runId) {
    return tableHost.querySelector(`a.run-link[data-run-id="${CSS.escape(runId)}"]`);
  }

  return {
    /** @type {RunList["update"]} */
    update(newRuns, learners) {
      runs = newRuns;
      if (learnerFilter && learners) {
        const chosen = learnerFilter.value;
        replaceChildren(
          learnerFilter,
          el("option", { value: "" }, "All learners"),
          learners.map((learner) =>
            el("option", { value: learner.id, selected: learner.id === chosen }, learner.name ?? learner.id),
          ),
        );
      }
      draw();
    },
    /** @param {string} runId */
    select(runId) {
      selectedRunId = runId;
      draw();
    },
    /** @param {string} runId */
    focusRun(runId) {
      runLink(runId)?.focus();
    },
  };
}
