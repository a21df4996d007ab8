/**
 * A run's change of state, told everyone once: stored as a `state` event of the run, and
 * published to the run's SSE subscribers and to the cohort-wide stream (with live facts).
 */
import type { RunStore } from "../store/run-store";
import type { LiveRunFacts } from "./live-run-facts";
import type { RunState } from "./run";
import type { RunEventBus } from "./run-event-bus";

/** Records and publishes state changes. Call it after the store has the new state. */
export class RunStateRecorder {
  constructor(
    private readonly store: RunStore,
    private readonly bus: RunEventBus,
    private readonly liveFacts: LiveRunFacts,
  ) {}

  /** Store a `state` event (with the reason, when there is one) and publish it and the run. */
  record(runId: string, state: RunState, reason?: string | null): void {
    const stored = this.store.appendEvent(runId, { type: "state", data: { state, ...(reason ? { reason } : {}) } });
    if (stored) this.bus.publish(runId, stored);
    const run = this.store.getRun(runId);
    if (run) this.bus.publishState(this.liveFacts.withLiveFacts(run));
  }
}
