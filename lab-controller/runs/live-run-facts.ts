/**
 * Facts about a run that change every scheduling round and so are not stored: a queued run's
 * place in line, why it waits and when it should start; a running run's expected end.
 */
import type { Cohort } from "../../schema/cohort";
import type { RunStore } from "../store/run-store";
import type { Run } from "./run";

/** Where a queued run stands after the last scheduling round. */
export interface QueuedRunFacts {
  /** 1-based place in line. */
  readonly position: number;
  /** Why it waits, in words a learner can act on. */
  readonly reason: string;
}

/** A queued run as `GET /v1/queue` lists it. */
export interface QueueEntry {
  runId: string;
  learnerId: string;
  position: number;
  waitingSeconds: number;
  reason?: string;
}

/** Holds the last scheduling round's facts and adds them to the runs the API serves. */
export class LiveRunFacts {
  private queueFacts = new Map<string, QueuedRunFacts>();
  /** GPUs seen at the last scheduling round (for queue ETAs). */
  private gpuCount = 0;

  constructor(
    private readonly cohort: Cohort,
    private readonly store: RunStore,
    private readonly now: () => number,
  ) {}

  /** How many GPUs the latest round saw. */
  recordGpuCount(count: number): void {
    this.gpuCount = count;
  }

  /** The latest round's facts, replacing the previous round's (an empty queue clears them). */
  replaceQueueFacts(facts: Map<string, QueuedRunFacts> = new Map()): void {
    this.queueFacts = facts;
  }

  /** A run with its live facts: queue position, wait reason and ETA. */
  withLiveFacts(run: Run): Run {
    if (run.state === "queued") {
      const facts = this.queueFacts.get(run.id);
      const position = facts?.position;
      const exercise = this.cohort.exercises.find((e) => e.id === run.exercise);
      const slots = Math.max(1, this.gpuCount);
      return {
        ...run,
        ...(position !== undefined ? { queuePosition: position } : {}),
        ...(facts?.reason ? { reason: facts.reason } : {}),
        ...(position !== undefined && exercise
          ? { etaSeconds: Math.ceil(position / slots) * exercise.expectedMinutes * 60 }
          : {}),
      };
    }
    if (run.state === "running" && run.startedAt && run.step && run.totalSteps && run.step > 0) {
      const elapsed = (this.now() - Date.parse(run.startedAt)) / 1000;
      return { ...run, etaSeconds: Math.max(0, Math.round((elapsed * (run.totalSteps - run.step)) / run.step)) };
    }
    return run;
  }

  /** Queued runs with their position and how long they have waited, first in line first. */
  queue(): QueueEntry[] {
    return this.store
      .queuedRuns()
      .map((r) => ({
        runId: r.id,
        learnerId: r.learnerId,
        position: this.queueFacts.get(r.id)?.position ?? 0,
        waitingSeconds: Math.max(0, Math.round((this.now() - Date.parse(r.queuedAt)) / 1000)),
        reason: this.queueFacts.get(r.id)?.reason,
      }))
      .sort((a, b) => a.position - b.position);
  }
}
