// @ts-check
/**
 * How the dashboard writes numbers: memory, durations, money, metrics and run states. Pure
 * functions, unit-tested in tests/dashboard/format.test.ts.
 */

/** @typedef {import("./api.js").RunState} RunState */
/** @typedef {import("./api.js").MetricName} MetricName */

/**
 * Every run state the API reports, in the order the overview counts them.
 * @type {readonly RunState[]}
 */
export const RUN_STATES = ["queued", "starting", "running", "succeeded", "failed", "cancelled"];

/**
 * States after which a run never changes again.
 * @type {ReadonlySet<RunState>}
 */
export const TERMINAL_STATES = new Set(/** @type {RunState[]} */ (["succeeded", "failed", "cancelled"]));

/**
 * Memory in MiB as people read it: `512 MiB` below 1 GiB, `23.4 GiB` above; `–` when unknown.
 * @param {number | null | undefined} mib
 * @returns {string}
 */
export function formatMiB(mib) {
  if (typeof mib !== "number" || !Number.isFinite(mib)) return "–";
  if (Math.abs(mib) < 1024) return `${Math.round(mib)} MiB`;
  return `${(mib / 1024).toFixed(1)} GiB`;
}

/**
 * Bytes as people read them (KiB, MiB, GiB, binary units); `–` when unknown.
 * @param {number | null | undefined} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
  if (typeof bytes !== "number" || !Number.isFinite(bytes)) return "–";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * A duration in seconds: `45 s`, `3 min 05 s`, `2 h 07 min`; `–` when unknown.
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "–";
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/**
 * US dollars with cents: `$12.34`; `–` when unknown.
 * @param {number | null | undefined} amountUsd
 * @returns {string}
 */
export function formatUsd(amountUsd) {
  if (typeof amountUsd !== "number" || !Number.isFinite(amountUsd)) return "–";
  return usd.format(amountUsd);
}

/**
 * Display name and direction of each evaluation metric the runner computes, and the decimals it
 * is shown with.
 * @type {Readonly<Record<MetricName, { label: string, higherIsBetter: boolean, digits: number }>>}
 */
export const METRICS = {
  perplexity: { label: "Perplexity", higherIsBetter: false, digits: 2 },
  rougeL: { label: "ROUGE-L", higherIsBetter: true, digits: 3 },
  bleu: { label: "BLEU", higherIsBetter: true, digits: 1 },
};

/**
 * A metric value with the precision that metric is usually quoted at; `–` when missing.
 * @param {string} metric a `MetricName`; any other name gets three decimals
 * @param {number | null | undefined} value
 * @returns {string}
 */
export function formatMetric(metric, value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return value.toFixed(metricInfo(metric)?.digits ?? 3);
}

/**
 * The change from `before` to `after` in words that say whether it improved, e.g. `−3.21
 * (better)`; empty when either side is missing.
 * @param {string} metric a `MetricName`; any other counts lower as better
 * @param {number | null | undefined} before
 * @param {number | null | undefined} after
 * @returns {string}
 */
export function formatMetricChange(metric, before, after) {
  if (typeof before !== "number" || typeof after !== "number") return "";
  const delta = after - before;
  if (delta === 0) return "no change";
  const better = metricInfo(metric)?.higherIsBetter ? delta > 0 : delta < 0;
  const sign = delta > 0 ? "+" : "−";
  return `${sign}${formatMetric(metric, Math.abs(delta))} (${better ? "better" : "worse"})`;
}

/**
 * How `metric` is shown, or undefined for a name the runner does not compute.
 * @param {string} metric
 */
export function metricInfo(metric) {
  return Object.hasOwn(METRICS, metric) ? METRICS[/** @type {MetricName} */ (metric)] : undefined;
}

/**
 * A training loss with four significant digits; `–` when unknown.
 * @param {number | null | undefined} loss
 * @returns {string}
 */
export function formatLoss(loss) {
  if (typeof loss !== "number" || !Number.isFinite(loss)) return "–";
  return loss.toPrecision(4);
}

/**
 * Training progress as `step 30 of 100`, or `step 30` when the total is unknown; empty before step 0.
 * @param {number | null | undefined} step
 * @param {number | null | undefined} totalSteps
 * @returns {string}
 */
export function formatProgress(step, totalSteps) {
  if (typeof step !== "number") return "";
  return typeof totalSteps === "number" && totalSteps > 0 ? `step ${step} of ${totalSteps}` : `step ${step}`;
}

/**
 * A timestamp (ISO string or epoch milliseconds) as local `HH:MM:SS`; `–` when missing.
 * @param {string | number | null | undefined} timestamp
 * @returns {string}
 */
export function formatClockTime(timestamp) {
  if (timestamp === undefined || timestamp === null) return "–";
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return "–";
  return date.toLocaleTimeString("en-GB", { hour12: false });
}

/**
 * A fraction 0..1 as a whole percentage, clamped: `42%`; `–` when unknown.
 * @param {number | null | undefined} fraction
 * @returns {string}
 */
export function formatPercent(fraction) {
  if (typeof fraction !== "number" || !Number.isFinite(fraction)) return "–";
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}
