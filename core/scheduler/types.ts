/**
 * The scheduler's input and output: plain data, so the lab-controller, `labkit plan`'s
 * simulation and the tests can all build it.
 */

/** How runs share a GPU: a whole GPU each, HAMi memory slices, or fixed MIG slices. */
export type SharingMode = "exclusive" | "hami" | "mig";

/** One run holding memory on a GPU. */
export interface GpuAllocation {
  readonly runId: string;
  readonly learnerId: string;
  /** Memory reserved for the run on this GPU, MiB (the whole GPU, a HAMi slice, or a MIG slice). */
  readonly grantedMiB: number;
  /** The run's estimate it was admitted with, MiB; counts against the learner's quota. Default `grantedMiB`. */
  readonly requestMiB?: number;
}

/** One physical GPU and what runs on it now. */
export interface GpuState {
  /** Kubernetes node name. */
  readonly node: string;
  /** GPU index on the node (0-based). */
  readonly index: number;
  /** Product name, e.g. `NVIDIA L40S`. */
  readonly product: string;
  /** Memory of the GPU, MiB, as nvidia-smi reports it. */
  readonly totalMiB: number;
  readonly mode: SharingMode;
  /** For `mig`: memory of one MIG slice, MiB. */
  readonly migProfileMiB?: number;
  /** For `mig`: slices this GPU is cut into. Default 1. */
  readonly migSlots?: number;
  /** Runs on this GPU now. */
  readonly allocations: readonly GpuAllocation[];
}

/** Limits of one learner. */
export interface LearnerQuota {
  /** Most GPU memory the learner's runs may request at once, MiB (compared with run estimates). */
  readonly vramMiB: number;
  /** Most runs running at once. */
  readonly concurrentRuns: number;
  /** GPU-minutes over the cohort. */
  readonly gpuMinutes: number;
}

/** One learner: quota and what they use. */
export interface LearnerState {
  readonly learnerId: string;
  readonly quota: LearnerQuota;
  readonly usage: {
    /** GPU-minutes used by finished and running runs so far. */
    readonly gpuMinutesUsed: number;
    /** Runs running now. */
    readonly running: number;
  };
}

/** A run waiting for a GPU. */
export interface QueuedRun {
  readonly runId: string;
  readonly learnerId: string;
  /** Predicted peak memory of the run, MiB (`estimatePeakVram(...).totalMiB`). */
  readonly requestMiB: number;
  /** When it was submitted, milliseconds since the epoch. */
  readonly submittedAt: number;
  /** Expected training time, minutes; checked against the learner's remaining GPU-minutes when given. */
  readonly expectedMinutes?: number;
}

/** Everything one scheduling round looks at. */
export interface SchedulerState {
  readonly gpus: readonly GpuState[];
  readonly learners: readonly LearnerState[];
  readonly queue: readonly QueuedRun[];
  /** The moment of this round, milliseconds since the epoch (waiting time counts toward fairness). */
  readonly now: number;
}

/** Run `runId` goes to GPU `gpuIndex` of `node` with `grantedMiB` reserved. */
export interface PlaceDecision {
  readonly kind: "place";
  readonly runId: string;
  readonly learnerId: string;
  readonly node: string;
  readonly gpuIndex: number;
  /** Memory reserved on the GPU, MiB: the HAMi `nvidia.com/gpumem` request, the MIG slice, or the whole GPU. */
  readonly grantedMiB: number;
}

/** Run `runId` stays queued; `reason` says why and `position` is its place in the queue (1 = next). */
export interface WaitDecision {
  readonly kind: "wait";
  readonly runId: string;
  readonly learnerId: string;
  readonly reason: string;
  readonly position: number;
}

/** Run `runId` can never run as it is; `reason` says what the learner can change. */
export interface RefuseDecision {
  readonly kind: "refuse";
  readonly runId: string;
  readonly learnerId: string;
  readonly reason: string;
}

export type SchedulingDecision = PlaceDecision | WaitDecision | RefuseDecision;

/** What one round decided, one decision per queued run, in fairness order. */
export interface SchedulingRound {
  readonly decisions: readonly SchedulingDecision[];
}
