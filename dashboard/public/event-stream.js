// @ts-check
/**
 * A server-sent-events stream that survives a controller restart.
 *
 * The browser's EventSource gives up for good on an HTTP error (a restarting controller behind a
 * gateway answers 502/503) and cannot be told how to back off, so this reads the stream with
 * fetch instead: on any drop it reports "reconnecting", waits with exponential backoff and
 * jitter, reconnects with `Last-Event-ID` so the server resumes after the last event seen, and
 * tells the page to refetch state it may have missed.
 */

/** @typedef {import("./connection-indicator.js").SourceStatus} StreamStatus */

/**
 * One server-sent event: its `event:` type (default `message`), its data (raw text, JSON for
 * the controller's streams) and the stream's last event id after it.
 * @typedef {{ type: string, data: string, id: string }} SseEvent
 */

/** Why a stream stopped for good. @typedef {"unauthorized" | "gone" | "done"} StreamEndReason */

/** First reconnect delay, ms. Default 500. */
export const RECONNECT_INITIAL_MS = 500;
/** Longest reconnect delay, ms. Default 8000. */
export const RECONNECT_MAX_MS = 8000;

/**
 * Delay before reconnect attempt `attempt` (0-based): `initialMs × 2^attempt`, capped at
 * `maxMs`, then scaled into [50%, 100%] by `random()` so a classroom of browsers does not
 * reconnect in lockstep.
 * @param {number} attempt
 * @param {{ initialMs?: number, maxMs?: number }} [backoff]
 * @param {() => number} [random] a number in [0, 1); default `Math.random`
 * @returns {number} ms
 */
export function reconnectDelayMs(
  attempt,
  { initialMs = RECONNECT_INITIAL_MS, maxMs = RECONNECT_MAX_MS } = {},
  random = Math.random,
) {
  const ceilingMs = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  return Math.round(ceilingMs * (0.5 + 0.5 * random()));
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML §9.2.6): feed it text as
 * it arrives, get back complete events `{ type, data, id }`. `id` is the stream's last event id
 * after that event (ids persist until changed); `retryMs` holds the server's `retry:` advice.
 * @returns {{ retryMs: number | undefined, feed(chunk: string): SseEvent[] }}
 */
export function createSseParser() {
  let buffer = "";
  /** @type {string[]} */
  let dataLines = [];
  let eventType = "";
  let lastEventId = "";
  /** @type {ReturnType<typeof createSseParser>} */
  const parser = {
    /** The server's reconnection delay from a `retry:` line, ms; undefined until one arrives. */
    retryMs: undefined,
    /** Parse `chunk` (any length, may split lines) and return the events it completed. */
    feed(chunk) {
      buffer += chunk;
      /** @type {SseEvent[]} */
      const events = [];
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        // A lone trailing CR may be the first half of a CRLF split across chunks.
        if (!match || (match[0] === "\r" && match.index === buffer.length - 1)) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (dataLines.length > 0) {
            events.push({ type: eventType || "message", data: dataLines.join("\n"), id: lastEventId });
          }
          dataLines = [];
          eventType = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") dataLines.push(value);
        else if (field === "event") eventType = value;
        else if (field === "id" && !value.includes("\0")) lastEventId = value;
        else if (field === "retry" && /^\d+$/.test(value)) parser.retryMs = Number(value);
      }
      return events;
    },
  };
  return parser;
}

/**
 * Open `url` as an event stream and keep it open until `close()`.
 * - `onEvent({ type, data, id })` for every event (data is the raw string);
 * - `onStatus(status)` with `{ state: "connecting" | "open" | "reconnecting" | "closed", attempt?, delayMs? }`;
 * - `onReopen()` after a reconnect succeeded: refetch whatever may have been missed;
 * - `onEnd(reason)` when the stream stops for good: `unauthorized` (401/403), `gone` (404),
 *   or `done` (the server answered 204, the SSE way to say "do not reconnect").
 * Returns `{ close() }`.
 * @param {string} url
 * @param {{
 *   onEvent(event: SseEvent): void,
 *   onStatus?(status: StreamStatus): void,
 *   onReopen?(): void,
 *   onEnd?(reason: StreamEndReason): void,
 *   backoff?: { initialMs?: number, maxMs?: number },
 * }} handlers
 * @returns {{ close(): void }}
 */
export function openEventStream(
  url,
  { onEvent, onStatus = () => {}, onReopen = () => {}, onEnd = () => {}, backoff = {} },
) {
  let lastEventId = "";
  let attempt = 0;
  let connectedBefore = false;
  let closed = false;
  /** @type {AbortController | null} */
  let abort = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {number | undefined} */
  let serverRetryMs;

  async function connect() {
    abort = new AbortController();
    onStatus({ state: connectedBefore || attempt > 0 ? "reconnecting" : "connecting", attempt });
    /** @type {Record<string, string>} */
    const headers = { accept: "text/event-stream" };
    if (lastEventId !== "") headers["last-event-id"] = lastEventId;
    try {
      const response = await fetch(url, {
        headers,
        credentials: "same-origin",
        cache: "no-store",
        signal: abort.signal,
      });
      if (response.status === 401 || response.status === 403) return end("unauthorized");
      if (response.status === 404) return end("gone");
      if (response.status === 204) return end("done");
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reconnected = connectedBefore;
      connectedBefore = true;
      attempt = 0;
      onStatus({ state: "open" });
      if (reconnected) onReopen();
      const parser = createSseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || closed) break;
        for (const event of parser.feed(value)) {
          lastEventId = event.id;
          onEvent(event);
        }
        serverRetryMs = parser.retryMs ?? serverRetryMs;
      }
    } catch {
      // Network errors and aborted reads both end up here; the reconnect below handles them.
    }
    if (!closed) scheduleReconnect();
  }

  function scheduleReconnect() {
    const delayMs = reconnectDelayMs(attempt, { initialMs: serverRetryMs ?? backoff.initialMs, maxMs: backoff.maxMs });
    onStatus({ state: "reconnecting", attempt: attempt + 1, delayMs });
    attempt += 1;
    timer = setTimeout(connect, delayMs);
  }

  /** @param {StreamEndReason} reason */
  function end(reason) {
    closed = true;
    onStatus({ state: "closed" });
    onEnd(reason);
  }

  connect();
  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      abort?.abort();
      onStatus({ state: "closed" });
    },
  };
}
