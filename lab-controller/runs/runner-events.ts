/**
 * Events a runner posts about its run (progress, memory, metrics, phase): stored once per
 * `seq`, folded into the run's live fields, published to the run's subscribers. The first event
 * of a `starting` run is proof that it runs, even before the informer sees the pod.
 */
import type { RunnerEvent } from "../../schema/run-result";
import type { RunStore, StoredEvent } from "../store/run-store";
import { FINAL_STATES } from "./run";
import type { RunEventBus } from "./run-event-bus";
import type { RunStateRecorder } from "./run-state-recorder";

/** Takes runner events into the store and onto the bus. */
export class RunnerEventIntake {
  constructor(
    private readonly store: RunStore,
    private readonly bus: RunEventBus,
    private readonly states: RunStateRecorder,
    private readonly now: () => number,
  ) {}

  /** Take one runner event (already schema-checked). A repeated `seq`, or an event of a final run, is ignored. */
  accept(runId: string, event: RunnerEvent): StoredEvent | undefined {
    const { store } = this;
    const run = store.getRun(runId);
    if (!run || FINAL_STATES.has(run.state)) return undefined;
    const { type, seq, ...data } = event;
    const stored = store.appendEvent(runId, { type, data, attempt: run.attempts, runnerSeq: seq });
    if (!stored) return undefined;
    if (event.type === "progress") {
      store.updateRun(runId, { step: event.step, totalSteps: event.totalSteps, lastLoss: event.loss });
    } else if (event.type === "memory") {
      store.updateRun(runId, { peakVramMiB: Math.max(run.peakVramMiB ?? 0, event.peakMiB) });
    } else if (event.type === "metrics") {
      store.updateRun(runId, { metrics: { ...run.metrics, [event.stage]: event.values } });
    } else if (event.type === "phase") {
      store.updateRun(runId, { phase: event.phase });
    }
    if (run.state === "starting") {
      const started = store.updateRun(runId, { state: "running", startedAt: new Date(this.now()).toISOString() }, [
        "starting",
      ]);
      if (started) this.states.record(runId, "running");
    }
    this.bus.publish(runId, stored);
    return stored;
  }
}
