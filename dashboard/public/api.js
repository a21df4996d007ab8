/**
 * The lab-controller's HTTP API as the dashboard uses it. URLs are relative to the page
 * (`/dashboard/` → `../api/v1/…`): the cohort's gateway routes only `/dashboard/` and `/api/` to
 * the controller, which serves its API under `/api/v1/` as well as `/v1/`. Relative URLs keep the
 * dashboard working when a gateway mounts the controller under a longer path prefix. The session
 * cookie set by `login` authenticates everything else.
 */

/** Base URL of the API, resolved against the page's own URL. */
export const API_BASE = new URL("../api/v1/", window.location.href);

/** An API call that did not succeed: the HTTP status and the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    /** HTTP status code; 0 when the controller could not be reached at all. */
    this.status = status;
  }
}

/** Absolute URL of an API path such as `runs/abc/events`. */
export function apiUrl(path) {
  return new URL(path, API_BASE).href;
}

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
    throw new ApiError(0, `the lab-controller cannot be reached (${error.message})`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, await errorMessage(response));
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  return text === "" ? undefined : JSON.parse(text);
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.message ?? body.error ?? `${response.status} ${response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

const runPath = (runId) => `runs/${encodeURIComponent(runId)}`;

/** Every call the dashboard makes, one function each. */
export const api = {
  /** Exchange a token for a session cookie; resolves to `{ role, id, name }`. */
  login: (token) => request("login", { method: "POST", body: { token } }),
  /** End the session. */
  logout: () => request("logout", { method: "POST", body: {} }),
  /** Who the session belongs to: `{ role, id, name }`; rejects with status 401 when signed out. */
  me: () => request("me"),
  /** Runs the session may see (a learner's own, or all for an instructor). */
  listRuns: async () => (await request("runs")).runs,
  /** One run. */
  getRun: (runId) => request(runPath(runId)),
  /** A run's training loss so far: `[{ step, loss, learningRate? }]`. */
  getLoss: async (runId) => (await request(`${runPath(runId)}/loss`)).points,
  /** Download links of a run's artifacts: `{ artifactsUri, artifacts: [{ name, sizeBytes, url, expiresAt }] }`. */
  getArtifacts: (runId) => request(`${runPath(runId)}/artifacts`),
  /** The instructor's overview: cohort, learners, GPUs, queue and budget. */
  getCohort: () => request("cohort"),
  /** Leaderboard entries `{ learnerId, runId, exercise, before, after }`. */
  getLeaderboard: async () => (await request("leaderboard")).entries,
  /** SSE URL of one run's events. */
  runEventsUrl: (runId) => apiUrl(`${runPath(runId)}/events`),
  /** SSE URL of the cohort-wide events (instructors). */
  cohortEventsUrl: () => apiUrl("events"),
};
