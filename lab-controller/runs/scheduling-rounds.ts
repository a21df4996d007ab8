/**
 * Scheduling rounds: one `scheduleRound` over the GPUs, the learners and the queue decides
 * place / wait / refuse for every queued run. A placed run becomes `starting` with its node, GPU
 * and grant in the store before its Job exists, so the next round sees the GPU as taken; its Job
 * is created later, outside the lifecycle's lock.
 */

import { runArtifactPrefix } from "../../charts/names";
import { type SchedulingDecision, scheduleRound } from "../../core/scheduler";
import type { Cohort } from "../../schema/cohort";
import type { RunStore } from "../store/run-store";
import type { GpuSlots } from "./gpu-slots";
import type { LiveRunFacts, QueuedRunFacts } from "./live-run-facts";
import type { Run } from "./run";
import type { RunStateRecorder } from "./run-state-recorder";
import type { UsageAccounting } from "./usage-accounting";

/** What the scheduling rounds depend on. */
export interface SchedulingRoundsDeps {
  readonly cohort: Cohort;
  readonly store: RunStore;
  readonly slots: GpuSlots;
  readonly usage: UsageAccounting;
  readonly liveFacts: LiveRunFacts;
  readonly states: RunStateRecorder;
  /** Bucket name for the runs' `s3://` artifact URIs. */
  readonly bucket: string;
  /** Clock, ms since the epoch. */
  readonly now: () => number;
}

/** Runs scheduling rounds and keeps the runs they placed until their Jobs are created. */
export class SchedulingRounds {
  /** Runs placed but whose Job is not created yet. */
  private readonly placed: Run[] = [];

  constructor(private readonly deps: SchedulingRoundsDeps) {}

  /** One round over the whole queue. Only under the lifecycle's lock: two rounds must never place on the same free memory. */
  async runLocked(): Promise<void> {
    const { cohort, store, liveFacts } = this.deps;
    const queue = store.queuedRuns();
    if (queue.length === 0) {
      liveFacts.replaceQueueFacts();
      return;
    }
    const expected = new Map(cohort.exercises.map((e) => [e.id, e.expectedMinutes]));
    const active = store.activeRuns();
    const gpus = this.deps.slots.states(active);
    liveFacts.recordGpuCount(gpus.length);
    const round = scheduleRound({
      gpus,
      learners: this.deps.usage.learnerStates(active),
      queue: queue.map((r) => ({
        runId: r.id,
        learnerId: r.learnerId,
        requestMiB: r.estimate.totalMiB,
        submittedAt: Date.parse(r.queuedAt),
        expectedMinutes: expected.get(r.exercise),
      })),
      now: this.deps.now(),
    });
    const facts = new Map<string, QueuedRunFacts>();
    for (const decision of round.decisions) {
      if (decision.kind === "wait") facts.set(decision.runId, { position: decision.position, reason: decision.reason });
    }
    liveFacts.replaceQueueFacts(facts);
    for (const decision of round.decisions) await this.apply(decision);
  }

  /** The runs placed since the last call, whose Jobs the caller now creates. */
  takePlaced(): Run[] {
    return this.placed.splice(0);
  }

  private async apply(decision: SchedulingDecision): Promise<void> {
    const { store, states, cohort } = this.deps;
    // A wait reason changes every round (free memory moves): it lives in the live facts, not the store.
    if (decision.kind === "wait") return;
    if (decision.kind === "refuse") {
      const run = store.updateRun(
        decision.runId,
        { state: "failed", reason: decision.reason, finishedAt: new Date(this.deps.now()).toISOString() },
        ["queued"],
      );
      if (run) states.record(run.id, "failed", decision.reason);
      return;
    }
    const before = store.getRun(decision.runId);
    if (!before) return;
    const run = store.updateRun(
      decision.runId,
      {
        state: "starting",
        placement: { node: decision.node, gpuIndex: decision.gpuIndex },
        grantedMiB: decision.grantedMiB,
        attempts: before.attempts + 1,
        reason: null,
        artifactsUri: `s3://${this.deps.bucket}/${runArtifactPrefix(cohort.name, before.learnerId, before.id)}`,
      },
      ["queued"],
    );
    if (!run) return;
    states.record(run.id, "starting");
    // The store now holds the grant, so later rounds see the GPU as taken; the API call is made
    // outside the lock (`takePlaced`), so a slow API server does not stall every submission.
    this.placed.push(run);
  }
}
