// @ts-check
/**
 * The lab-controller's HTTP API as the dashboard uses it. URLs are relative to the page
 * (`/dashboard/` → `../api/v1/…`): the cohort's gateway routes only `/dashboard/` and `/api/` to
 * the controller, which serves its API under `/api/v1/` as well as `/v1/`. Relative URLs keep the
 * dashboard working when a gateway mounts the controller under a longer path prefix. The session
 * cookie set by `login` authenticates everything else.
 *
 * The typedefs below are the API's JSON as the dashboard reads it. They mirror the controller's
 * own types by hand, because the dashboard imports nothing of labkit's (docs/layering.md); each
 * names the type or route it mirrors, so a change there says where to follow here.
 */

/**
 * A run's state (lab-controller/runs/run.ts `RunState`).
 * @typedef {"queued" | "starting" | "running" | "succeeded" | "failed" | "cancelled"} RunState
 */

/**
 * What the runner is doing (schema/run-result.ts `RunPhase`).
 * @typedef {"starting" | "loading-model" | "evaluating-before" | "training" | "evaluating-after"
 *   | "uploading" | "succeeded" | "failed"} RunPhase
 */

/**
 * An evaluation metric's name (schema/run-spec.ts `Metric`).
 * @typedef {"perplexity" | "rougeL" | "bleu"} MetricName
 */

/**
 * Evaluation metrics of one side of a run (schema/run-result.ts `MetricValues`).
 * @typedef {object} MetricValues
 * @property {number} [perplexity] exp(mean token cross-entropy); lower is better
 * @property {number} [rougeL] ROUGE-L F-measure, 0..1; higher is better
 * @property {number} [bleu] corpus BLEU, 0..100; higher is better
 */

/**
 * One point of a run's training loss (schema/run-result.ts `LossPoint`).
 * @typedef {object} LossPoint
 * @property {number} step optimizer step
 * @property {number} loss training loss at that step
 * @property {number} [learningRate] learning rate at that step
 */

/**
 * One before/after sample (lab-controller/runs/run.ts `RunSample`).
 * @typedef {object} RunSample
 * @property {string} prompt
 * @property {string} reference
 * @property {string} before the base model's answer
 * @property {string} after the trained adapter's answer
 */

/**
 * The training loop of a resolved RunSpec (schema/run-spec.ts `TrainingSchema`).
 * @typedef {object} RunTraining
 * @property {number} maxSeqLength tokens
 * @property {number} microBatchSize
 * @property {number} gradientAccumulationSteps
 * @property {number} epochs
 * @property {number} [maxSteps]
 * @property {number} learningRate
 * @property {boolean} gradientCheckpointing
 * @property {string} optimizer
 * @property {number} warmupRatio
 * @property {number} seed
 */

/**
 * A resolved RunSpec (schema/run-spec.ts `RunSpec`).
 * @typedef {object} RunSpec
 * @property {string} exercise
 * @property {string} baseModel Hugging Face model id
 * @property {"qlora" | "lora"} method
 * @property {{ r: number, alpha: number, dropout: number, targetModules: "all-linear" | string[] }} lora
 * @property {{ bits: 4 | 8 | 16, quantType: "nf4" | "fp4", doubleQuant: boolean, computeDtype: string }} quantization
 * @property {RunTraining} training
 * @property {{ source: "builtin" | "upload", name: string, uri?: string, sha256?: string, testSplit: number }} dataset
 * @property {{ metrics: MetricName[], samples: number, maxNewTokens: number }} evaluation
 */

/**
 * A run as `GET /v1/runs` and `GET /v1/runs/:id` return it (lab-controller/runs/run.ts `Run`,
 * served through lab-controller/server/run-route-schemas.ts `RunSchema`).
 * Not readonly: the page patches the live fields (`step`, `lastLoss`, ...) from the run's events.
 * @typedef {object} Run
 * @property {string} id
 * @property {string} learnerId
 * @property {string} exercise
 * @property {RunState} state
 * @property {RunSpec} spec
 * @property {{ totalMiB: number, breakdown: Record<string, number> }} estimate predicted peak VRAM and its parts, MiB
 * @property {number} [grantedMiB] VRAM granted on the GPU, MiB
 * @property {{ node: string, gpuIndex: number }} [placement]
 * @property {number} [queuePosition] 1-based, while queued
 * @property {number} [etaSeconds] until the run starts (queued) or ends (running)
 * @property {string} [reason]
 * @property {RunPhase} [phase]
 * @property {number} [peakVramMiB] highest VRAM the runner measured, MiB
 * @property {{ before?: MetricValues, after?: MetricValues }} [metrics]
 * @property {RunSample[]} [samples]
 * @property {number} [lastLoss]
 * @property {number} [step]
 * @property {number} [totalSteps]
 * @property {string} [artifactsUri]
 * @property {string} createdAt ISO 8601
 * @property {string} [startedAt] ISO 8601
 * @property {string} [finishedAt] ISO 8601
 * @property {number} attempts how many times a Job was created for the run
 */

/**
 * Who a session belongs to (`POST /v1/login`, `GET /v1/me`; session-routes.ts `PersonSchema`).
 * @typedef {object} Session
 * @property {"learner" | "instructor"} role
 * @property {string} id
 * @property {string} name
 */

/**
 * One presigned artifact link (lab-controller/artifacts/artifact-store.ts `ArtifactLink`).
 * @typedef {object} ArtifactLink
 * @property {string} name file name below the run's prefix, e.g. `adapter.tar.gz`
 * @property {number} sizeBytes
 * @property {string} url presigned GET URL
 * @property {string} expiresAt ISO 8601
 */

/**
 * `GET /v1/runs/:id/artifacts` (run-route-schemas.ts `ArtifactLinksSchema`).
 * @typedef {object} RunArtifacts
 * @property {string} [artifactsUri] `s3://bucket/prefix/`; absent when the run stored nothing
 * @property {ArtifactLink[]} artifacts
 */

/**
 * A learner in the cohort view (`GET /v1/cohort`; lab-controller/server/cohort-route-schemas.ts).
 * @typedef {object} CohortLearner
 * @property {string} id
 * @property {string} name
 * @property {{ vramMiB: number, concurrentRuns: number, gpuMinutes: number }} quota
 * @property {{ gpuMinutesUsed: number, runningRuns: number, vramMiB: number }} usage
 */

/**
 * A GPU in the cohort view.
 * @typedef {object} CohortGpu
 * @property {string} node Kubernetes node name
 * @property {number} index GPU index on the node, 0-based
 * @property {string} product e.g. `NVIDIA L40S`
 * @property {number} totalMiB
 * @property {number} usedMiB granted to runs
 * @property {string[]} runs ids of the runs on it
 */

/**
 * A queued run in the cohort view.
 * @typedef {object} QueueEntry
 * @property {string} runId
 * @property {string} learnerId
 * @property {number} position 1-based
 * @property {number} waitingSeconds
 */

/**
 * The instructor's overview, `GET /v1/cohort` (lab-controller/server/cohort-route-schemas.ts
 * `CohortViewSchema`).
 * @typedef {object} CohortView
 * @property {{ name: string, title: string }} cohort
 * @property {CohortLearner[]} learners
 * @property {CohortGpu[]} gpus
 * @property {QueueEntry[]} queue
 * @property {{ gpuMinutesUsed: number, gpuMinutesBudget: number, costUsdSoFar: number }} budget
 */

/**
 * The best run per learner and exercise, `GET /v1/leaderboard` (cohort-route-schemas.ts
 * `LeaderboardSchema`).
 * @typedef {object} LeaderboardEntry
 * @property {string} learnerId
 * @property {string} runId
 * @property {string} exercise
 * @property {MetricValues} [before]
 * @property {MetricValues} [after]
 */

/**
 * The `data` of a run's `progress` event: the runner's event without `type` and `seq`
 * (schema/run-result.ts `RunnerEvent`, stored by lab-controller/runs/run-lifecycle.ts).
 * @typedef {{
 *   time?: string, step: number, totalSteps?: number, loss?: number, learningRate?: number, epoch?: number
 * }} ProgressEventData
 */

/**
 * The `data` of a run's `memory` event, MiB.
 * @typedef {{ time?: string, allocatedMiB: number, reservedMiB: number, peakMiB: number }} MemoryEventData
 */

/**
 * The `data` of a run's `phase` event.
 * @typedef {{ time?: string, phase: RunPhase, message?: string }} PhaseEventData
 */

/** Base URL of the API, resolved against the page's own URL. */
export const API_BASE = new URL("../api/v1/", window.location.href);

/** An API call that did not succeed: the HTTP status and the server's message. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status code; 0 when the controller could not be reached
   * @param {string} message the server's message, or why the request failed
   */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    /** HTTP status code; 0 when the controller could not be reached at all. */
    this.status = status;
  }
}

/**
 * What went wrong, for a message on the page: an Error's message, or whatever was thrown as text.
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Absolute URL of an API path such as `runs/abc/events`.
 * @param {string} path
 * @returns {string}
 */
export function apiUrl(path) {
  return new URL(path, API_BASE).href;
}

/**
 * One API call: the parsed JSON answer (undefined for an empty one), or an `ApiError`. Each
 * caller in `api` names the answer's type: the server is trusted to keep the API's contract.
 * @param {string} path below `API_BASE`
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<unknown>}
 */
async function request(path, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, `the lab-controller cannot be reached (${describeError(error)})`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, await errorMessage(response));
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  return text === "" ? undefined : JSON.parse(text);
}

/**
 * The message of a failed response: the body's `message` or `error`, else the status line.
 * @param {Response} response
 * @returns {Promise<string>}
 */
async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.message ?? body.error ?? `${response.status} ${response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

/** @param {string} runId */
const runPath = (runId) => `runs/${encodeURIComponent(runId)}`;

/** Every call the dashboard makes, one function each. */
export const api = {
  /** Exchange a token for a session cookie; resolves to `{ role, id, name }`. */
  login: (/** @type {string} */ token) =>
    /** @type {Promise<Session>} */ (request("login", { method: "POST", body: { token } })),
  /** End the session. */
  logout: () => /** @type {Promise<{ ok: boolean }>} */ (request("logout", { method: "POST", body: {} })),
  /** Who the session belongs to: `{ role, id, name }`; rejects with status 401 when signed out. */
  me: () => /** @type {Promise<Session>} */ (request("me")),
  /** Runs the session may see (a learner's own, or all for an instructor). */
  listRuns: async () => /** @type {{ runs: Run[] }} */ (await request("runs")).runs,
  /** One run. */
  getRun: (/** @type {string} */ runId) => /** @type {Promise<Run>} */ (request(runPath(runId))),
  /** A run's training loss so far: `[{ step, loss, learningRate? }]`. */
  getLoss: async (/** @type {string} */ runId) =>
    /** @type {{ points: LossPoint[] }} */ (await request(`${runPath(runId)}/loss`)).points,
  /** Download links of a run's artifacts: `{ artifactsUri, artifacts: [{ name, sizeBytes, url, expiresAt }] }`. */
  getArtifacts: (/** @type {string} */ runId) =>
    /** @type {Promise<RunArtifacts>} */ (request(`${runPath(runId)}/artifacts`)),
  /** The instructor's overview: cohort, learners, GPUs, queue and budget. */
  getCohort: () => /** @type {Promise<CohortView>} */ (request("cohort")),
  /** Leaderboard entries `{ learnerId, runId, exercise, before, after }`. */
  getLeaderboard: async () => /** @type {{ entries: LeaderboardEntry[] }} */ (await request("leaderboard")).entries,
  /** SSE URL of one run's events. */
  runEventsUrl: (/** @type {string} */ runId) => apiUrl(`${runPath(runId)}/events`),
  /** SSE URL of the cohort-wide events (instructors). */
  cohortEventsUrl: () => apiUrl("events"),
};
