/**
 * A run as the lab-controller keeps it and as the API returns it: the resolved RunSpec, its VRAM
 * estimate, where it runs, and what it produced. This is the JSON contract of `GET /v1/runs/:id`.
 */

import type { MetricValues, RunPhase } from "../../schema/run-result";
import type { RunSpec } from "../../schema/run-spec";

export const RUN_STATES = ["queued", "starting", "running", "succeeded", "failed", "cancelled"] as const;
/** `queued` waits for a GPU; `starting` has a Job; `running` has a running pod; the last three are final. */
export type RunState = (typeof RUN_STATES)[number];

/** States a run never leaves. */
export const FINAL_STATES: ReadonlySet<RunState> = new Set(["succeeded", "failed", "cancelled"]);

/** States in which a run holds a GPU grant (its Job exists or is being created). */
export const ACTIVE_STATES: ReadonlySet<RunState> = new Set(["starting", "running"]);

/** The estimator's answer as stored with a run. */
export interface RunEstimate {
  /** Predicted peak VRAM of the run, MiB (what it is granted on the GPU). */
  readonly totalMiB: number;
  /** Parts of the total, MiB each (weights, adapters, optimizer, activations, CUDA context...). */
  readonly breakdown: Readonly<Record<string, number>>;
}

/** A GPU slot a run was placed on. */
export interface Placement {
  /** Kubernetes node name. */
  readonly node: string;
  /** GPU index on that node (0-based). */
  readonly gpuIndex: number;
}

/** One before/after sample. */
export interface RunSample {
  readonly prompt: string;
  readonly reference: string;
  readonly before: string;
  readonly after: string;
}

/** A run, as stored and served. Optional fields are absent until known. */
export interface Run {
  /** Run id: 12 lower-case base-32 characters, a DNS label fragment (it names the Job). */
  readonly id: string;
  readonly learnerId: string;
  readonly exercise: string;
  readonly state: RunState;
  /** The resolved RunSpec the runner receives. */
  readonly spec: RunSpec;
  readonly estimate: RunEstimate;
  /** VRAM the run is granted on its GPU, MiB (HAMi `nvidia.com/gpumem`). */
  readonly grantedMiB?: number;
  readonly placement?: Placement;
  /** 1-based place in the queue while queued. */
  readonly queuePosition?: number;
  /** Expected seconds until the run starts (queued) or ends (running). */
  readonly etaSeconds?: number;
  /** Why the run failed, was refused or was requeued, in words a learner can act on. */
  readonly reason?: string;
  /** The runner's last reported phase. */
  readonly phase?: RunPhase;
  /** Highest VRAM the runner measured, MiB. */
  readonly peakVramMiB?: number;
  readonly metrics?: { readonly before?: MetricValues; readonly after?: MetricValues };
  readonly samples?: readonly RunSample[];
  readonly lastLoss?: number;
  readonly step?: number;
  readonly totalSteps?: number;
  /** Where the run's artifacts are written: `s3://bucket/prefix/`. */
  readonly artifactsUri?: string;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** How many times a Job was created for the run (a lost node requeues it once). */
  readonly attempts: number;
}
