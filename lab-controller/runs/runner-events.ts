/**
 * Events a runner posts about its run (progress, memory, metrics, phase): checked against the
 * run (runner-event-checks.ts), stored once per `seq`, folded into the run's live fields,
 * published to the run's subscribers. The first event of a `starting` run is proof that it runs,
 * even before the informer sees the pod.
 *
 * Event metrics are live news, not results: while the run is active they fill `run.metrics` for
 * the learner to watch, and when it succeeds the job reconciler replaces them with what the
 * runner wrote to results.json (or its termination message). The leaderboard ranks only those.
 */
import type { RunnerEvent } from "../../schema/run-result";
import type { RunStore, StoredEvent } from "../store/run-store";
import { type GpuSlots, sharingOf } from "./gpu-slots";
import { FINAL_STATES, type Run } from "./run";
import { RunInputError } from "./run-admission";
import type { RunEventBus } from "./run-event-bus";
import type { RunStateRecorder } from "./run-state-recorder";
import { memoryCeilingMiB, type RunGpuMemory, runnerEventProblems } from "./runner-event-checks";

/** Takes runner events into the store and onto the bus. */
export class RunnerEventIntake {
  constructor(
    private readonly store: RunStore,
    private readonly bus: RunEventBus,
    private readonly states: RunStateRecorder,
    private readonly now: () => number,
    /** The cohort's GPUs, to bound memory figures by the run's GPU; without it only the run's grant bounds them. */
    private readonly slots?: GpuSlots,
  ) {}

  /**
   * Take one runner event (already schema-checked). A repeated `seq`, or an event of a final
   * run, is ignored. An implausible event (a step that goes back, memory the run cannot hold)
   * throws a RunInputError naming the field, which the API answers with 400.
   */
  accept(runId: string, event: RunnerEvent): StoredEvent | undefined {
    const { store } = this;
    const run = store.getRun(runId);
    if (!run || FINAL_STATES.has(run.state)) return undefined;
    const problems = runnerEventProblems(event, run, memoryCeilingMiB(this.gpuMemoryOf(run)));
    if (problems.length > 0) {
      throw new RunInputError(`runner event ${event.seq} (${event.type}) refused: ${problems.join("; ")}`, problems);
    }
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

  /** The GPU memory the run can use: its grant, and its GPU (or MIG slice) when the cluster shows it. */
  private gpuMemoryOf(run: Run): RunGpuMemory {
    const grantedMiB = run.grantedMiB ?? run.estimate.totalMiB;
    const device = this.slots
      ?.devices()
      .find((d) => d.node === run.placement?.node && d.index === run.placement?.gpuIndex);
    if (!this.slots || !device) {
      // Its node is gone from the cache (or unknown): bound it by the largest GPU the cohort has.
      return { sharing: "exclusive", grantedMiB, deviceMiB: this.slots?.largestDeclaredSlotMiB() };
    }
    const pool = this.slots.poolOf(device);
    return { sharing: pool.sharing, grantedMiB, deviceMiB: sharingOf(pool).migProfileMiB ?? device.totalMiB };
  }
}
