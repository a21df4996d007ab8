// @ts-check
/**
 * The leaderboard: runs ranked by one after-training metric (lower perplexity, higher ROUGE-L or
 * BLEU is better), optionally only each learner's best run, with a CSV export. `rankLeaderboard`
 * and `leaderboardCsv` are pure; `renderLeaderboard` draws the section.
 */
import { csvObjectUrl, toCsv } from "./csv.js";
import { formatMetric, formatMetricChange, METRICS } from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";

/** @typedef {import("./api.js").LeaderboardEntry} LeaderboardEntry */
/** @typedef {import("./api.js").MetricName} MetricName */
/** A leaderboard entry with its 1-based rank. @typedef {LeaderboardEntry & { rank: number }} RankedEntry */

/**
 * Rank `entries` (`{ learnerId, runId, exercise, before, after }`) by `after[metric]`. Entries
 * without that metric are left out; ties keep the better improvement first, then the run id.
 * With `bestPerLearner` (default true) only each learner's best run is kept. Ranks are
 * 1-based and shared by equal scores.
 * @param {readonly LeaderboardEntry[]} entries
 * @param {MetricName} metric
 * @param {{ bestPerLearner?: boolean }} [options]
 * @returns {RankedEntry[]}
 */
export function rankLeaderboard(entries, metric, { bestPerLearner = true } = {}) {
  const higherIsBetter = METRICS[metric]?.higherIsBetter ?? true;
  /** After-training score; NaN when missing, so the filter below leaves the entry out. */
  const score = (/** @type {LeaderboardEntry} */ entry) => entry.after?.[metric] ?? Number.NaN;
  const improvement = (/** @type {LeaderboardEntry} */ entry) => {
    const before = entry.before?.[metric];
    if (typeof before !== "number") return 0;
    return higherIsBetter ? score(entry) - before : before - score(entry);
  };
  const better = (/** @type {LeaderboardEntry} */ a, /** @type {LeaderboardEntry} */ b) => {
    if (score(a) !== score(b)) return higherIsBetter ? score(b) - score(a) : score(a) - score(b);
    if (improvement(a) !== improvement(b)) return improvement(b) - improvement(a);
    return String(a.runId).localeCompare(String(b.runId));
  };
  let ranked = entries.filter((entry) => typeof score(entry) === "number" && Number.isFinite(score(entry)));
  ranked.sort(better);
  if (bestPerLearner) {
    /** @type {Set<string>} */
    const seen = new Set();
    ranked = ranked.filter((entry) => !seen.has(entry.learnerId) && seen.add(entry.learnerId));
  }
  let rank = 0;
  return ranked.map((entry, index) => {
    if (index === 0 || score(entry) !== score(ranked[index - 1])) rank = index + 1;
    return { ...entry, rank };
  });
}

/**
 * The ranked leaderboard as CSV, one column per metric before and after.
 * @param {readonly RankedEntry[]} ranked
 * @returns {string}
 */
export function leaderboardCsv(ranked) {
  const metricNames = /** @type {MetricName[]} */ (Object.keys(METRICS));
  const header = ["rank", "learner", "run", "exercise", ...metricNames.flatMap((m) => [`${m}_before`, `${m}_after`])];
  const rows = ranked.map((entry) => [
    entry.rank,
    entry.learnerId,
    entry.runId,
    entry.exercise,
    ...metricNames.flatMap((m) => [entry.before?.[m], entry.after?.[m]]),
  ]);
  return toCsv([header, ...rows]);
}

/**
 * Draw the leaderboard into `container` with a metric picker, a "best run per learner" switch
 * and a CSV download. `learnerName(id)` names learners; `runHref(id)` links to a run.
 * Returns `{ update(entries) }`.
 * @param {HTMLElement} container
 * @param {{ learnerName?: (learnerId: string) => string, runHref: (runId: string) => string }} options
 * @returns {{ update(entries: LeaderboardEntry[]): void }}
 */
export function renderLeaderboard(container, { learnerName = (id) => id, runHref }) {
  /** @type {LeaderboardEntry[]} */
  let entries = [];
  /** @type {string | null} */
  let downloadUrl = null;
  const metricSelect = el(
    "select",
    { id: "leaderboard-metric", onchange: draw },
    Object.entries(METRICS).map(([key, { label, higherIsBetter }]) =>
      el(
        "option",
        { value: key, selected: key === "rougeL" },
        `${label} (${higherIsBetter ? "higher" : "lower"} is better)`,
      ),
    ),
  );
  const bestOnly = el("input", { type: "checkbox", id: "leaderboard-best", checked: true, onchange: draw });
  const download = el(
    "a",
    { class: "button-link", download: "leaderboard.csv", href: "#" },
    "Download leaderboard (CSV)",
  );
  const tableHost = el("div", { class: "table-scroll" });
  replaceChildren(
    container,
    el(
      "div",
      { class: "toolbar" },
      el("label", { for: "leaderboard-metric" }, "Rank by"),
      metricSelect,
      el("label", { class: "checkbox" }, bestOnly, " Best run per learner"),
      download,
    ),
    tableHost,
  );

  function draw() {
    // The options' values are METRICS' keys.
    const metric = /** @type {MetricName} */ (metricSelect.value);
    const ranked = rankLeaderboard(entries, metric, { bestPerLearner: bestOnly.checked });
    downloadUrl = csvObjectUrl(leaderboardCsv(ranked), downloadUrl);
    download.href = downloadUrl;
    if (ranked.length === 0) {
      replaceChildren(
        tableHost,
        el("p", { class: "empty" }, `No finished run has a ${METRICS[metric].label} score yet.`),
      );
      return;
    }
    const label = METRICS[metric].label;
    replaceChildren(
      tableHost,
      dataTable({
        id: "leaderboard-table",
        caption: `Leaderboard by ${label} after training`,
        headers: ["Rank", "Learner", "Exercise", "Run", `${label} before`, `${label} after`, "Change"],
        rows: ranked.map((entry) =>
          el(
            "tr",
            {},
            el("td", {}, entry.rank),
            el("th", { scope: "row" }, learnerName(entry.learnerId)),
            el("td", {}, entry.exercise),
            el("td", {}, el("a", { href: runHref(entry.runId) }, entry.runId)),
            el("td", { class: "num" }, formatMetric(metric, entry.before?.[metric])),
            el("td", { class: "num" }, formatMetric(metric, entry.after?.[metric])),
            el("td", {}, formatMetricChange(metric, entry.before?.[metric], entry.after?.[metric])),
          ),
        ),
      }),
    );
  }

  return {
    update(newEntries) {
      entries = newEntries;
      draw();
    },
  };
}
