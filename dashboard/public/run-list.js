/**
 * The run list: a table of runs, filterable by state (and learner, for instructors), where each
 * run is a link — Tab reaches the list, the arrow keys move between runs, Enter opens one.
 * Redrawing keeps keyboard focus on the run that had it.
 */
import { toCsv } from "./csv.js";
import { formatClockTime, formatLoss, formatMiB, formatProgress, RUN_STATES } from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";

const STATE_ORDER = { running: 0, starting: 1, queued: 2, failed: 3, succeeded: 4, cancelled: 5 };

/** Active runs first (running, starting, queued), then finished ones; newest first within each. */
export function sortRuns(runs) {
  return [...runs].sort(
    (a, b) =>
      (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) ||
      String(b.createdAt ?? "").localeCompare(String(a.createdAt ?? "")) ||
      String(a.id).localeCompare(String(b.id)),
  );
}

/** Every run as CSV: one row per run with its state, VRAM, loss and metrics (the instructor's export). */
export function runsCsv(runs) {
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

/** The link of a run in the page (`#run=<id>`). */
export function runHref(runId) {
  return `#run=${encodeURIComponent(runId)}`;
}

/** A run's state as a labelled badge. */
export function stateBadge(state) {
  return el("span", { class: `badge state-${state}` }, state);
}

/**
 * Draw the list into `container`. Options: `idPrefix` (unique ids per view), `showLearner`
 * (add the learner column and filter), `learnerName(id)`. Returns `{ update(runs, learners?),
 * select(runId), focusRun(runId) }`.
 */
export function renderRunList(container, { idPrefix, showLearner = false, learnerName = (id) => id }) {
  let runs = [];
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

  function onKeydown(event) {
    const links = [...tableHost.querySelectorAll("a.run-link")];
    const index = links.indexOf(document.activeElement);
    if (index === -1) return;
    const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: links.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    links[Math.max(0, Math.min(links.length - 1, target))].focus();
  }

  function draw() {
    const focusedRunId = tableHost.contains(document.activeElement) ? document.activeElement.dataset.runId : null;
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
    if (focusedRunId) tableHost.querySelector(`a.run-link[data-run-id="${CSS.escape(focusedRunId)}"]`)?.focus();
  }

  return {
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
    select(runId) {
      selectedRunId = runId;
      draw();
    },
    focusRun(runId) {
      tableHost.querySelector(`a.run-link[data-run-id="${CSS.escape(runId)}"]`)?.focus();
    },
  };
}
