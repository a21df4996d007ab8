// @ts-check
/**
 * A run's training-loss curve: a uPlot line chart with a title and labelled axes, plus what a
 * screen reader or keyboard user needs instead of the canvas (a one-line summary and the values
 * as a table). Points may arrive twice (a refetch overlapping the live stream): they are kept by
 * step, so the curve never doubles back.
 */

import uPlot from "uplot";
import { formatLoss } from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";

/** @typedef {import("./api.js").LossPoint} LossPoint */
/**
 * A loss chart: `setPoints` replaces every point (after a refetch), `addPoints` merges more in.
 * @typedef {{
 *   setPoints(points: LossPoint[]): void, addPoints(points: LossPoint[]): void, pointCount(): number, destroy(): void
 * }} LossChart
 */

/** Height of the plot area, CSS px. Default 220 (fits a 768 px tall laptop screen beside the run's details). */
export const LOSS_CHART_HEIGHT_PX = 220;

/**
 * Merge `points` into `byStep` (a Map step → point) and return the points ordered by step.
 * Points without a numeric step or a finite loss are left out.
 * @param {Map<number, LossPoint>} byStep
 * @param {readonly LossPoint[]} points
 * @returns {LossPoint[]}
 */
export function mergeLossPoints(byStep, points) {
  for (const point of points) {
    if (typeof point.step === "number" && typeof point.loss === "number" && Number.isFinite(point.loss)) {
      byStep.set(point.step, point);
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/**
 * Create the chart inside `container`. Returns `{ setPoints(points), addPoints(points),
 * pointCount(), destroy() }`; `setPoints` replaces everything (after a refetch).
 * @param {HTMLElement} container
 * @param {{ title?: string, runId: string }} options `title` default "Training loss"
 * @returns {LossChart}
 */
export function createLossChart(container, { title = "Training loss", runId }) {
  const headingId = `loss-title-${runId}`;
  const summary = el("p", { class: "chart-summary" }, "No loss reported yet.");
  const plotHost = el("div", { class: "chart-plot", role: "img", "aria-labelledby": headingId });
  const table = dataTable({
    className: "compact",
    caption: `${title}, one row per logged step`,
    captionVisible: true,
    headers: ["Step", "Loss"],
  });
  const tableBody = table.tBodies[0];
  const figure = el(
    "figure",
    { class: "loss-chart", dataset: { pointCount: "0" } },
    el("figcaption", { id: headingId }, title),
    plotHost,
    summary,
    el("details", {}, el("summary", {}, "Loss values as a table"), el("div", { class: "table-scroll" }, table)),
  );
  replaceChildren(container, figure);

  /** @type {Map<number, LossPoint>} */
  const byStep = new Map();
  /** @type {LossPoint[]} */
  let points = [];
  const plot = new uPlot(
    {
      width: Math.max(280, plotHost.clientWidth || container.clientWidth || 560),
      height: LOSS_CHART_HEIGHT_PX,
      scales: { x: { time: false } },
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { label: "Optimizer step", stroke: "#334155", grid: { stroke: "#e2e8f0" } },
        { label: "Loss", stroke: "#334155", grid: { stroke: "#e2e8f0" }, size: 56 },
      ],
      series: [{ label: "Step" }, { label: "Loss", stroke: "#1d4ed8", width: 2, points: { show: false } }],
    },
    [[], []],
    plotHost,
  );

  // Follow the card's width (the page is a responsive grid); height stays fixed.
  const resizeObserver = new ResizeObserver(() => {
    const width = Math.max(280, Math.floor(plotHost.clientWidth));
    if (width !== plot.width) plot.setSize({ width, height: LOSS_CHART_HEIGHT_PX });
  });
  resizeObserver.observe(plotHost);

  function render() {
    plot.setData([points.map((p) => p.step), points.map((p) => p.loss)]);
    figure.dataset.pointCount = String(points.length);
    const last = points.at(-1);
    summary.textContent =
      last === undefined
        ? "No loss reported yet."
        : `Latest loss ${formatLoss(last.loss)} at step ${last.step} (${points.length} point${points.length === 1 ? "" : "s"}; first ${formatLoss(points[0].loss)}).`;
    plotHost.setAttribute("aria-description", summary.textContent);
    replaceChildren(
      tableBody,
      points.map((p) => el("tr", {}, el("td", {}, p.step), el("td", {}, formatLoss(p.loss)))),
    );
  }

  return {
    setPoints(newPoints) {
      byStep.clear();
      points = mergeLossPoints(byStep, newPoints);
      render();
    },
    addPoints(newPoints) {
      points = mergeLossPoints(byStep, newPoints);
      render();
    },
    pointCount: () => points.length,
    destroy() {
      resizeObserver.disconnect();
      plot.destroy();
    },
  };
}
