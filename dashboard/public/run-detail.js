// @ts-check
/**
 * One run in detail, live: its state and progress, the loss curve fed by the run's event stream,
 * its VRAM estimate beside the measured peak, its config, its before/after metrics and samples,
 * and its downloads. Shared by the instructor's and the learner's view.
 *
 * The stream only adds to what the API says; whenever it (re)connects or the run changes state,
 * the run and its loss series are refetched, so a lost event or a controller restart costs
 * nothing.
 */
import { ApiError, api, describeError } from "./api.js";
import { openEventStream } from "./event-stream.js";
import {
  formatBytes,
  formatClockTime,
  formatDuration,
  formatMetric,
  formatMetricChange,
  formatMiB,
  formatPercent,
  formatProgress,
  METRICS,
  TERMINAL_STATES,
} from "./format.js";
import { dataTable, el, replaceChildren } from "./html-element.js";
import { createLossChart } from "./loss-chart.js";
import { stateBadge } from "./run-list.js";

/** @typedef {import("./api.js").Run} Run */
/** @typedef {import("./api.js").RunSpec} RunSpec */
/** @typedef {import("./api.js").RunPhase} RunPhase */
/** @typedef {import("./api.js").MetricName} MetricName */
/** @typedef {import("./api.js").ArtifactLink} ArtifactLink */

/**
 * Options of `openRunDetail`.
 * @typedef {object} RunDetailOptions
 * @property {import("./connection-indicator.js").ConnectionIndicator} connection the header's connection indicator
 * @property {(text: string) => void} [announce] polite screen-reader announcement; default none
 * @property {boolean} [showLearner] name the run's learner; default false
 * @property {(learnerId: string) => string} [learnerName] default the id itself
 * @property {(run: Run) => void} [onRunChanged] the list refreshes its row
 * @property {() => void} [onSessionEnded] back to sign-in
 * @property {() => void} [onEscape] Escape pressed inside the detail
 */

/** An open run detail. @typedef {{ close(): void, focus(): void }} RunDetail */

/**
 * One part of a VRAM estimate's breakdown given as a list (the API sends an object of MiB values
 * instead; both forms are read).
 * @typedef {{ name?: string, label?: string, mib?: number, MiB?: number, valueMiB?: number }} BreakdownPart
 */

/** Wait this long after a state or metrics event before refetching, ms, so a burst costs one request. Default 200. */
export const REFETCH_DEBOUNCE_MS = 200;

/**
 * `weightsMiB` → `Weights`, `cudaContextMiB` → `CUDA context`: labels for the estimate's breakdown.
 * @param {string} key
 * @returns {string}
 */
export function breakdownLabel(key) {
  const words = key
    .replace(/MiB$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/\bcuda\b/, "CUDA")
    .replace(/\blora\b/, "LoRA")
    .replace(/\bkv\b/, "KV");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The estimate's breakdown as `[{ label, mib }]`, from either an object of MiB values or a list of `{ name, mib }`.
 * @param {Readonly<Record<string, number>> | ReadonlyArray<BreakdownPart> | null | undefined} breakdown
 * @returns {Array<{ label: string, mib: number }>}
 */
export function breakdownRows(breakdown) {
  if (Array.isArray(breakdown)) {
    return /** @type {ReadonlyArray<BreakdownPart>} */ (breakdown).flatMap((part) => {
      const mib = part.mib ?? part.MiB ?? part.valueMiB;
      return typeof mib === "number" ? [{ label: part.label ?? breakdownLabel(String(part.name)), mib }] : [];
    });
  }
  if (breakdown && typeof breakdown === "object") {
    return Object.entries(breakdown)
      .filter(([, mib]) => typeof mib === "number")
      .map(([key, mib]) => ({ label: breakdownLabel(key), mib }));
  }
  return [];
}

/**
 * Show run `runId` in `container`. Options: `connection` (the header's connection indicator),
 * `announce(text)` (polite screen-reader announcement), `showLearner`, `learnerName(id)`,
 * `onRunChanged(run)` (the list refreshes its row), `onSessionEnded()` (back to sign-in),
 * `onEscape()` (Escape pressed inside the detail). Returns `{ close(), focus() }`.
 * @param {HTMLElement} container
 * @param {string} runId
 * @param {RunDetailOptions} options
 * @returns {RunDetail}
 */
export function openRunDetail(container, runId, options) {
  const { connection, announce = () => {}, showLearner = false, learnerName = (id) => id } = options;
  const onRunChanged = options.onRunChanged ?? (() => {});
  const onSessionEnded = options.onSessionEnded ?? (() => {});
  /** The run as last fetched, patched by its events; null until the first fetch answers. @type {Run | null} */
  let run = null;
  /** @type {number | null} */
  let livePeakMiB = null;
  /** @type {RunPhase | null} */
  let phase = null;
  /** @type {{ close(): void } | null} */
  let stream = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let refetchTimer;
  let closed = false;

  const heading = el("h3", { id: "run-detail-heading", tabindex: "-1" }, `Run ${runId}`);
  const headerHost = el("div", { class: "run-header" });
  const statusHost = el("div", { class: "run-status" });
  const chartHost = el("div", { class: "run-chart" });
  const vramHost = el("section", { class: "run-vram", "aria-labelledby": "run-vram-heading" });
  const metricsHost = el("section", { class: "run-metrics", "aria-labelledby": "run-metrics-heading" });
  const samplesHost = el("section", { class: "run-samples", "aria-labelledby": "run-samples-heading" });
  const configHost = el("section", { class: "run-config", "aria-labelledby": "run-config-heading" });
  const downloadsHost = el("section", { class: "run-downloads", "aria-labelledby": "run-downloads-heading" });
  const article = el(
    "article",
    {
      class: "run-detail",
      "aria-labelledby": "run-detail-heading",
      dataset: { runId },
      onkeydown: (/** @type {KeyboardEvent} */ event) => {
        if (event.key === "Escape") options.onEscape?.();
      },
    },
    el("div", { class: "run-title" }, heading, headerHost),
    statusHost,
    el("div", { class: "run-grid" }, chartHost, vramHost),
    metricsHost,
    downloadsHost,
    samplesHost,
    configHost,
  );
  replaceChildren(container, article);
  const chart = createLossChart(chartHost, { title: `Training loss of run ${runId}`, runId });

  // The render functions run once the run has been fetched; each returns early before that.
  function renderHeader() {
    if (!run) return;
    replaceChildren(
      headerHost,
      stateBadge(run.state),
      el(
        "p",
        { class: "muted" },
        [
          showLearner ? `Learner ${learnerName(run.learnerId)}` : null,
          `exercise ${run.exercise}`,
          run.spec?.baseModel,
          run.spec?.method?.toUpperCase(),
          run.attempts > 1 ? `attempt ${run.attempts}` : null,
        ]
          .filter(Boolean)
          .join(" · "),
      ),
    );
  }

  function renderStatus() {
    if (!run) return;
    /** @type {HTMLElement[]} */
    const parts = [];
    if (run.state === "queued") {
      parts.push(
        el(
          "p",
          {},
          `Queued${run.queuePosition ? `, position ${run.queuePosition}` : ""}`,
          typeof run.etaSeconds === "number" ? `, expected to start in about ${formatDuration(run.etaSeconds)}` : "",
          ".",
        ),
      );
    }
    if (typeof run.step === "number") {
      parts.push(
        el(
          "div",
          { class: "progress-row" },
          el("label", { for: "run-progress" }, "Training progress"),
          el("progress", { id: "run-progress", max: run.totalSteps || 1, value: run.totalSteps ? run.step : 0 }),
          el("span", { id: "run-progress-text" }, formatProgress(run.step, run.totalSteps), phase ? ` · ${phase}` : ""),
        ),
      );
    } else if (phase) {
      parts.push(el("p", {}, `Phase: ${phase}`));
    }
    if (run.placement) {
      parts.push(el("p", { class: "muted" }, `On GPU ${run.placement.gpuIndex} of node ${run.placement.node}`));
    }
    const times = [
      `created ${formatClockTime(run.createdAt)}`,
      run.startedAt && `started ${formatClockTime(run.startedAt)}`,
      run.finishedAt && `finished ${formatClockTime(run.finishedAt)}`,
    ].filter(Boolean);
    parts.push(el("p", { class: "muted" }, times.join(", ")));
    if (run.reason) parts.push(el("p", { class: run.state === "failed" ? "error" : "note" }, run.reason));
    replaceChildren(statusHost, parts);
  }

  function renderVram() {
    if (!run) return;
    const estimateMiB = run.estimate?.totalMiB;
    const peakMiB = run.peakVramMiB ?? livePeakMiB;
    const peakLabel =
      run.peakVramMiB === undefined && livePeakMiB !== null ? "Measured peak (so far)" : "Measured peak";
    const scaleMiB = Math.max(estimateMiB ?? 0, run.grantedMiB ?? 0, peakMiB ?? 0, 1);
    const bar = (/** @type {number | null | undefined} */ mib, /** @type {string} */ kind) =>
      el(
        "div",
        { class: "bar-track", "aria-hidden": "true" },
        el("div", { class: `bar-fill ${kind}`, dataset: { widthPercent: formatPercent((mib ?? 0) / scaleMiB) } }),
      );
    /** @type {Array<[string, number | null | undefined, string]>} */
    const rows = [
      ["Estimate", estimateMiB, "estimate"],
      ["Granted", run.grantedMiB, "granted"],
      [peakLabel, peakMiB, "peak"],
    ];
    const comparison =
      typeof estimateMiB === "number" && typeof peakMiB === "number" && estimateMiB > 0
        ? `The measured peak is ${formatPercent(peakMiB / estimateMiB)} of the estimate.`
        : "The measured peak is known once the run has started training.";
    replaceChildren(
      vramHost,
      el("h4", { id: "run-vram-heading" }, "VRAM: estimate and measured peak"),
      dataTable({
        className: "compact vram-table",
        caption: "VRAM estimate, grant and measured peak",
        rows: rows.map(([label, mib, kind]) =>
          el(
            "tr",
            { dataset: { kind } },
            el("th", { scope: "row" }, label),
            el("td", { class: "num" }, formatMiB(mib)),
            el("td", { class: "bar-cell" }, bar(mib, kind)),
          ),
        ),
      }),
      el("p", { class: "muted", id: "vram-comparison" }, comparison),
      breakdownRows(run.estimate?.breakdown).length > 0 &&
        el(
          "details",
          {},
          el("summary", {}, "How the estimate adds up"),
          dataTable({
            className: "compact",
            rows: breakdownRows(run.estimate?.breakdown).map((row) =>
              el("tr", {}, el("th", { scope: "row" }, row.label), el("td", { class: "num" }, formatMiB(row.mib))),
            ),
          }),
        ),
    );
    // Widths are set through the CSSOM: the page's CSP forbids inline style attributes.
    for (const fill of /** @type {NodeListOf<HTMLElement>} */ (vramHost.querySelectorAll(".bar-fill"))) {
      fill.style.width = fill.dataset.widthPercent ?? "";
    }
  }

  function renderMetrics() {
    if (!run) return;
    const before = run.metrics?.before ?? {};
    const after = run.metrics?.after ?? {};
    const names = /** @type {MetricName[]} */ (Object.keys(METRICS)).filter(
      (m) => typeof before[m] === "number" || typeof after[m] === "number",
    );
    replaceChildren(
      metricsHost,
      el("h4", { id: "run-metrics-heading" }, "Results"),
      names.length === 0
        ? el(
            "p",
            { class: "empty" },
            TERMINAL_STATES.has(run.state)
              ? "This run reported no metrics."
              : "Metrics appear when evaluation finishes.",
          )
        : dataTable({
            className: "compact",
            id: "run-metrics-table",
            caption: "Evaluation metrics before and after training",
            headers: ["Metric", "Before", "After", "Change"],
            rows: names.map((m) =>
              el(
                "tr",
                {},
                el("th", { scope: "row" }, METRICS[m].label),
                el("td", { class: "num" }, formatMetric(m, before[m])),
                el("td", { class: "num" }, formatMetric(m, after[m])),
                el("td", {}, formatMetricChange(m, before[m], after[m])),
              ),
            ),
          }),
    );
  }

  function renderSamples() {
    if (!run) return;
    const samples = run.samples ?? [];
    replaceChildren(
      samplesHost,
      el("h4", { id: "run-samples-heading" }, `Before and after samples (${samples.length})`),
      samples.length === 0
        ? el("p", { class: "empty" }, "Samples appear when evaluation after training finishes.")
        : samples.map((sample, index) =>
            el(
              "details",
              { class: "sample", open: index === 0 },
              el(
                "summary",
                {},
                `Sample ${index + 1}: ${sample.prompt.slice(0, 80)}${sample.prompt.length > 80 ? "…" : ""}`,
              ),
              el(
                "dl",
                { class: "sample-grid" },
                el("dt", {}, "Prompt"),
                el("dd", {}, sample.prompt),
                el("dt", {}, "Reference"),
                el("dd", {}, sample.reference),
                el("dt", {}, "Before training"),
                el("dd", {}, sample.before),
                el("dt", {}, "After training"),
                el("dd", {}, sample.after),
              ),
            ),
          ),
    );
  }

  function renderConfig() {
    if (!run) return;
    // Partial: the page shows whatever part of the spec it has.
    /** @type {Partial<RunSpec>} */
    const spec = run.spec ?? {};
    /** @type {Partial<RunSpec["training"]>} */
    const training = spec.training ?? {};
    /** @type {Array<[string, unknown]>} */
    const allFacts = [
      ["Base model", spec.baseModel],
      ["Method", spec.method?.toUpperCase()],
      ["LoRA rank / alpha", spec.lora && `${spec.lora.r} / ${spec.lora.alpha}`],
      [
        "Target modules",
        Array.isArray(spec.lora?.targetModules) ? spec.lora.targetModules.join(", ") : spec.lora?.targetModules,
      ],
      [
        "Base weights",
        spec.quantization &&
          `${spec.quantization.bits}-bit${spec.quantization.bits === 4 ? ` ${spec.quantization.quantType}` : ""}`,
      ],
      ["Max sequence length", training.maxSeqLength && `${training.maxSeqLength} tokens`],
      [
        "Micro batch × accumulation",
        training.microBatchSize && `${training.microBatchSize} × ${training.gradientAccumulationSteps}`,
      ],
      ["Length", training.maxSteps ? `${training.maxSteps} steps` : training.epochs && `${training.epochs} epoch(s)`],
      ["Learning rate", training.learningRate],
      ["Optimizer", training.optimizer],
      [
        "Gradient checkpointing",
        training.gradientCheckpointing === undefined ? undefined : training.gradientCheckpointing ? "on" : "off",
      ],
      ["Dataset", spec.dataset && `${spec.dataset.name} (${spec.dataset.source})`],
    ];
    const facts = allFacts.filter(([, value]) => value !== undefined && value !== null && value !== "");
    replaceChildren(
      configHost,
      el("h4", { id: "run-config-heading" }, "Config"),
      el(
        "dl",
        { class: "facts" },
        facts.map(([term, value]) => [el("dt", {}, term), el("dd", {}, String(value))]),
      ),
      el(
        "details",
        {},
        el("summary", {}, "Full run spec (JSON)"),
        el("pre", { class: "json" }, JSON.stringify(spec, null, 2)),
      ),
    );
  }

  async function renderDownloads() {
    const headingNode = el("h4", { id: "run-downloads-heading" }, "Downloads");
    if (!run) return;
    if (run.state !== "succeeded") {
      replaceChildren(
        downloadsHost,
        headingNode,
        el("p", { class: "empty" }, "The adapter and results can be downloaded when the run has succeeded."),
      );
      return;
    }
    try {
      const { artifacts = [] } = (await api.getArtifacts(runId)) ?? {};
      if (closed) return;
      // The adapter first, then results.json, then anything else the runner stored.
      const order = (/** @type {ArtifactLink} */ link) =>
        link.name.startsWith("adapter") ? 0 : link.name === "results.json" ? 1 : 2;
      const links = [...artifacts]
        .sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name))
        .map((link) =>
          el(
            "li",
            {},
            el(
              "a",
              { href: link.url, class: "button-link", download: link.name },
              order(link) === 0 ? "Download adapter" : `Download ${link.name}`,
            ),
            el("span", { class: "muted" }, ` ${link.name}, ${formatBytes(link.sizeBytes)}`),
          ),
        );
      replaceChildren(
        downloadsHost,
        headingNode,
        links.length > 0
          ? el("ul", { class: "downloads" }, links)
          : el("p", { class: "empty" }, "This run stored no artifacts."),
        links.length > 0 &&
          el("p", { class: "muted" }, "Links are signed and expire within the hour; reopen the run for fresh ones."),
      );
    } catch (error) {
      replaceChildren(
        downloadsHost,
        headingNode,
        el("p", { class: "error" }, `Downloads are not available: ${describeError(error)}`),
      );
    }
  }

  function renderAll() {
    renderHeader();
    renderStatus();
    renderVram();
    renderMetrics();
    renderSamples();
    renderConfig();
    renderDownloads();
  }

  async function refetch() {
    try {
      const [freshRun, points] = await Promise.all([api.getRun(runId), api.getLoss(runId)]);
      if (closed) return;
      const previousState = run?.state;
      run = freshRun;
      phase = run.phase ?? phase;
      chart.setPoints(points);
      renderAll();
      onRunChanged(run);
      if (previousState && previousState !== run.state) announce(`Run ${runId} is now ${run.state}.`);
      if (TERMINAL_STATES.has(run.state)) {
        stream?.close();
        stream = null;
      } else if (!stream) {
        openStream();
      }
    } catch (error) {
      if (closed) return;
      if (error instanceof ApiError && error.status === 401) return onSessionEnded();
      replaceChildren(
        statusHost,
        el("p", { class: "error", role: "alert" }, `Run ${runId} could not be loaded: ${describeError(error)}`),
      );
    }
  }

  function scheduleRefetch() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(refetch, REFETCH_DEBOUNCE_MS);
  }

  /** @param {import("./event-stream.js").SseEvent} event */
  function onEvent(event) {
    /** @type {unknown} */
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!run) return;
    // The event's type says what its data holds (api.js); the checks below still guard each value.
    if (event.type === "progress") {
      const progress = /** @type {import("./api.js").ProgressEventData} */ (data);
      if (typeof progress.loss === "number")
        chart.addPoints([{ step: progress.step, loss: progress.loss, learningRate: progress.learningRate }]);
      run.step = progress.step;
      if (typeof progress.totalSteps === "number") run.totalSteps = progress.totalSteps;
      if (typeof progress.loss === "number") run.lastLoss = progress.loss;
      renderStatus();
      onRunChanged(run);
    } else if (event.type === "memory") {
      const memory = /** @type {import("./api.js").MemoryEventData} */ (data);
      if (typeof memory.peakMiB === "number") livePeakMiB = Math.max(livePeakMiB ?? 0, memory.peakMiB);
      renderVram();
    } else if (event.type === "phase") {
      phase = /** @type {import("./api.js").PhaseEventData} */ (data).phase ?? phase;
      renderStatus();
    } else if (event.type === "state" || event.type === "metrics") {
      scheduleRefetch();
    }
  }

  function openStream() {
    stream = openEventStream(api.runEventsUrl(runId), {
      onEvent,
      onStatus: connection.source(`run:${runId}`),
      onReopen: refetch,
      onEnd: (reason) => {
        stream = null;
        if (reason === "unauthorized") onSessionEnded();
      },
    });
  }

  refetch();

  return {
    close() {
      closed = true;
      clearTimeout(refetchTimer);
      stream?.close();
      chart.destroy();
    },
    focus() {
      heading.focus();
    },
  };
}
