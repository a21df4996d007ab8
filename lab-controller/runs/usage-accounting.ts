/**
 * GPU-minutes: what each run has used (its wall time × its share of the GPU), what each learner
 * has used and has left under the cohort's quota, and the usage records of finished attempts.
 */
import type { LearnerState } from "../../core/scheduler";
import type { Cohort } from "../../schema/cohort";
import type { GpuDevice } from "../cluster/gpu-inventory";
import type { RunStore } from "../store/run-store";
import { type GpuSlots, sharingOf } from "./gpu-slots";
import { ACTIVE_STATES, type Run } from "./run";

/** Counts GPU-minutes from the store (finished attempts) and the clock (running ones). */
export class UsageAccounting {
  constructor(
    private readonly cohort: Cohort,
    private readonly store: RunStore,
    private readonly slots: GpuSlots,
    private readonly now: () => number,
  ) {}

  /** Every learner's quota and usage (GPU-minutes include running runs up to now). */
  learnerStates(active: readonly Run[]): LearnerState[] {
    const used = this.store.gpuMinutesByLearner();
    const q = this.cohort.quotas;
    const devices = this.slots.devices();
    const byLearner = new Map<string, Run[]>();
    for (const run of active) byLearner.set(run.learnerId, [...(byLearner.get(run.learnerId) ?? []), run]);
    const now = this.now();
    return this.cohort.learners.map((learner) => {
      const mine = byLearner.get(learner.id) ?? [];
      const liveMinutes = mine.reduce((sum, r) => sum + this.gpuMinutesOf(r, now, devices), 0);
      return {
        learnerId: learner.id,
        quota: { vramMiB: Math.round(q.vramGiB * 1024), concurrentRuns: q.concurrentRuns, gpuMinutes: q.gpuMinutes },
        usage: { gpuMinutesUsed: (used.get(learner.id) ?? 0) + liveMinutes, running: mine.length },
      };
    });
  }

  /** GPU-minutes a learner has left, counting their running runs up to now; at least 1. */
  remainingGpuMinutes(learnerId: string): number {
    const mine = this.store.listRuns({ learnerId, states: [...ACTIVE_STATES] });
    const used = this.store.gpuMinutesByLearner().get(learnerId) ?? 0;
    const live = mine.reduce((sum, r) => sum + this.gpuMinutesOf(r, this.now()), 0);
    return Math.max(1, this.cohort.quotas.gpuMinutes - used - live);
  }

  /** Store what an attempt that started used, up to `endedAt` (ISO 8601); nothing for one that never started. */
  recordUsageOf(run: Run, endedAt: string): void {
    if (!run.startedAt) return;
    this.store.recordUsage({
      learnerId: run.learnerId,
      runId: run.id,
      attempt: run.attempts,
      gpuMinutes: this.gpuMinutesOf(run, Date.parse(endedAt)),
      vramMiB: run.grantedMiB ?? run.estimate.totalMiB,
      startedAt: run.startedAt,
      endedAt,
    });
  }

  /** GPU-minutes a run has used by `untilMs`: its wall time × its share of the GPU. */
  gpuMinutesOf(run: Run, untilMs: number, devices?: readonly GpuDevice[]): number {
    if (!run.startedAt) return 0;
    const minutes = Math.max(0, (untilMs - Date.parse(run.startedAt)) / 60_000);
    return minutes * this.gpuShare(run, devices);
  }

  /** The fraction of a GPU a run holds: 1 exclusive, 1/slots on MIG, granted/total on HAMi. */
  gpuShare(run: Run, devices: readonly GpuDevice[] = this.slots.devices()): number {
    const device = devices.find((d) => d.node === run.placement?.node && d.index === run.placement?.gpuIndex);
    const pool = device ? this.slots.poolOf(device) : this.cohort.gpuPools[0];
    if (pool.sharing === "exclusive") return 1;
    const sharing = sharingOf(pool);
    if (pool.sharing === "mig") return 1 / (sharing.migSlots ?? 1);
    const total = device?.totalMiB ?? 0;
    return total > 0 ? Math.min(1, (run.grantedMiB ?? run.estimate.totalMiB) / total) : 1;
  }
}
