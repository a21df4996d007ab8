// @ts-check
/**
 * The run-detail panel of a view: one run open at a time, selected in the run list, and run
 * changes seen by the detail (state, progress) written back into the list. Both the instructor
 * and the learner view use it.
 */
import { openRunDetail } from "./run-detail.js";

/** @typedef {import("./api.js").Run} Run */
/** @typedef {import("./run-detail.js").RunDetailOptions} RunDetailOptions */

/**
 * The detail panel of a view: `open(runId)` shows one run, `openRunId` says which.
 * @typedef {{
 *   readonly openRunId: string | null,
 *   open(runId: string, options?: { focus?: boolean, scroll?: boolean }): void,
 *   close(): void,
 * }} RunDetailSlot
 */

/**
 * @param {HTMLElement} detailHost where the detail is drawn
 * @param {Pick<import("./run-list.js").RunList, "select" | "focusRun" | "update">} runList
 * @param {() => Run[]} currentRuns the view's current run list (it is replaced on every refresh)
 * @param {Omit<RunDetailOptions, "onEscape" | "onRunChanged">} detailOptions passed to `openRunDetail`
 *   (connection, announce, onSessionEnded, ...)
 * @returns {RunDetailSlot}
 */
export function createRunDetailSlot(detailHost, runList, currentRuns, detailOptions) {
  /** @type {import("./run-detail.js").RunDetail | null} */
  let detail = null;
  /** @type {string | null} */
  let openRunId = null;
  return {
    /** The id of the open run, or null. */
    get openRunId() {
      return openRunId;
    },
    /** Open `runId` (or just focus it when it is already open); `scroll` brings the panel into view first. */
    open(runId, { focus = false, scroll = false } = {}) {
      if (runId === openRunId) {
        if (focus) detail?.focus();
        return;
      }
      detail?.close();
      openRunId = runId;
      runList.select(runId);
      detail = openRunDetail(detailHost, runId, {
        ...detailOptions,
        onEscape: () => runList.focusRun(runId),
        onRunChanged: (/** @type {Run} */ run) => {
          const runs = currentRuns();
          const index = runs.findIndex((r) => r.id === run.id);
          if (index !== -1) {
            runs[index] = { ...runs[index], ...run };
            runList.update(runs);
          }
        },
      });
      if (focus) {
        if (scroll) detailHost.scrollIntoView({ block: "nearest" });
        detail.focus();
      }
    },
    close() {
      detail?.close();
    },
  };
}
