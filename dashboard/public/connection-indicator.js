// @ts-check
/**
 * The header's connection status (an ARIA live region): "Live" while every stream and poll is
 * healthy, "Reconnecting…" while any of them is retrying. Its text changes only when the
 * summary changes, so a screen reader is not told about every retry.
 */

/**
 * What one stream or poll reports (an event stream's `onStatus`); `closed` removes the source.
 * @typedef {{
 *   state: "connecting" | "open" | "reconnecting" | "closed", attempt?: number, delayMs?: number
 * }} SourceStatus
 */

/** @typedef {"connecting" | "open" | "reconnecting"} SourceState */
/** @typedef {SourceState | "signedOut"} ConnectionState */

/**
 * The header's connection indicator: `source(name)` gives one stream or poll its status callback.
 * @typedef {{ source(name: string): (status: SourceStatus) => void, signedOut(): void }} ConnectionIndicator
 */

/**
 * Text shown for each summarised state.
 * @type {Readonly<Record<ConnectionState, string>>}
 */
export const CONNECTION_TEXT = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting to the lab-controller…",
  signedOut: "Signed out",
};

/**
 * Summarise the states of several sources into one: reconnecting > connecting > open.
 * @param {readonly SourceState[]} states
 * @returns {SourceState}
 */
export function summariseConnection(states) {
  if (states.includes("reconnecting")) return "reconnecting";
  if (states.includes("connecting")) return "connecting";
  return "open";
}

/**
 * Drive `element` from several named sources. `source(name)` returns a status callback (the
 * `onStatus` of an event stream); `signedOut()` shows that no one is signed in.
 * @param {HTMLElement} element
 * @returns {ConnectionIndicator}
 */
export function createConnectionIndicator(element) {
  /** @type {Map<string, SourceState>} */
  const states = new Map();
  /** @param {ConnectionState} state */
  function show(state) {
    const text = CONNECTION_TEXT[state];
    if (element.textContent !== text) element.textContent = text;
    element.dataset.state = state;
    // Which sources are not open, for whoever debugs a stuck indicator.
    element.dataset.sources = [...states]
      .filter(([, s]) => s !== "open")
      .map(([name, s]) => `${name}:${s}`)
      .join(" ");
  }
  return {
    source(name) {
      return (status) => {
        if (status.state === "closed") states.delete(name);
        else states.set(name, status.state);
        show(summariseConnection([...states.values()]));
      };
    },
    signedOut() {
      states.clear();
      show("signedOut");
    },
  };
}
