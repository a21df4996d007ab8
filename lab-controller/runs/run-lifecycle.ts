/**
 * The life of a run, from submission to its result: validate and estimate (run-admission.ts),
 * admit, queue or refuse (scheduling-rounds.ts), create its Job (run-job-creator.ts), follow the
 * Job and its pod (job-reconciler.ts), take runner events (runner-events.ts), and count its
 * GPU-minutes (usage-accounting.ts). This file wires them and serializes them: scheduling and
 * reconciling run one at a time, so two rounds never place on the same free memory. Every step
 * is idempotent and level-triggered: `reconcile()` compares the store with the cluster and fixes
 * the difference, so a restarted controller re-adopts running Jobs, creates a Job it had decided
 * on but not yet created, and never creates one twice (Job names are deterministic).
 */

import { learnerNamespace, runJobName } from "../../charts/names";
import type { GpuState, LearnerState } from "../../core/scheduler";
import type { Cohort } from "../../schema/cohort";
import type { RunnerEvent } from "../../schema/run-result";
import type { ArtifactStore } from "../artifacts/artifact-store";
import { DatasetLibrary } from "../artifacts/dataset-library";
import type { ClusterPort } from "../cluster/kube-cluster";
import type { RunStore, StoredEvent } from "../store/run-store";
import { GpuSlots } from "./gpu-slots";
import { JobReconciler } from "./job-reconciler";
import { LiveRunFacts, type QueueEntry } from "./live-run-facts";
import { FINAL_STATES, type Run } from "./run";
import { type FitReport, newRunId, RunAdmission, type SubmitRequest, type SubmitResult } from "./run-admission";
import { RunEventBus } from "./run-event-bus";
import { RunJobCreator } from "./run-job-creator";
import { RunStateRecorder } from "./run-state-recorder";
import { RunnerEventIntake } from "./runner-events";
import { SchedulingRounds } from "./scheduling-rounds";
import { UsageAccounting } from "./usage-accounting";

export { MAX_ATTEMPTS } from "./job-reconciler";
export { type FitReport, newRunId, RunInputError, type SubmitRequest, type SubmitResult } from "./run-admission";

/** Wait this long after a cluster change before reconciling, ms, so a burst makes one pass. */
export const RECONCILE_DEBOUNCE_MS = 50;

/** What the lifecycle depends on. */
export interface RunLifecycleDeps {
  readonly cohort: Cohort;
  readonly store: RunStore;
  readonly cluster: ClusterPort;
  /** The artifact bucket; without it dataset uploads and artifact links are refused. */
  readonly artifacts?: ArtifactStore;
  /** Bucket name for `s3://` URIs. Default: `artifacts.bucket`. */
  readonly bucket?: string;
  /** Base URL runners post events to. Default `CONTROLLER_URL` (charts/names.ts). */
  readonly controllerUrl: string;
  /** Runner image. */
  readonly runnerImage: string;
  /** Model-cache claim in each learner namespace. Default `model-cache`. */
  readonly modelCacheClaimName?: string;
  /** Clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Run id generator. Default: 12 random base-32 characters. */
  readonly newRunId?: () => string;
  /** Where problems are logged. Default `console.error`. */
  readonly log?: (message: string) => void;
}

/** The run lifecycle. One per controller process. */
export class RunLifecycle {
  /** Events of all runs, for SSE. */
  readonly bus = new RunEventBus();
  /** The learners' dataset uploads (`/v1/datasets`; a spec names one by id). */
  readonly datasets: DatasetLibrary;
  private readonly store: RunStore;
  private readonly cluster: ClusterPort;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly slots: GpuSlots;
  private readonly usage: UsageAccounting;
  private readonly liveFacts: LiveRunFacts;
  private readonly states: RunStateRecorder;
  private readonly admission: RunAdmission;
  private readonly rounds: SchedulingRounds;
  private readonly jobs: RunJobCreator;
  private readonly reconciler: JobReconciler;
  private readonly runnerEvents: RunnerEventIntake;
  /** Serializes scheduling and reconciling, so two rounds never place on the same free memory. */
  private chain: Promise<unknown> = Promise.resolve();
  private reconcileTimer?: NodeJS.Timeout;
  private pendingReconcile = false;
  private debounceTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly deps: RunLifecycleDeps) {
    const { cohort, store, cluster, artifacts } = deps;
    this.store = store;
    this.cluster = cluster;
    const now = deps.now ?? Date.now;
    const log = deps.log ?? ((m: string) => console.error(m));
    this.now = now;
    this.log = log;
    const bucket = deps.bucket ?? artifacts?.bucket ?? "labkit-artifacts";
    this.slots = new GpuSlots(cluster, cohort);
    this.usage = new UsageAccounting(cohort, store, this.slots, now);
    this.liveFacts = new LiveRunFacts(cohort, store, now);
    this.states = new RunStateRecorder(store, this.bus, this.liveFacts);
    const shared = { cohort, store, slots: this.slots, usage: this.usage, states: this.states, bucket, now };
    this.datasets = new DatasetLibrary({ cohortName: cohort.name, store: store.datasets, artifacts, bucket, now });
    this.admission = new RunAdmission({ ...shared, datasets: this.datasets, newRunId: deps.newRunId ?? newRunId });
    this.rounds = new SchedulingRounds({ ...shared, liveFacts: this.liveFacts });
    this.jobs = new RunJobCreator({
      ...shared,
      cluster,
      controllerUrl: deps.controllerUrl,
      runnerImage: deps.runnerImage,
      modelCacheClaimName: deps.modelCacheClaimName,
      log,
    });
    this.reconciler = new JobReconciler({ ...shared, cluster, jobs: this.jobs, artifacts, log });
    this.runnerEvents = new RunnerEventIntake(store, this.bus, this.states, now, this.slots);
    store.replacePeople([
      ...cohort.learners.map((p) => ({ id: p.id, name: p.name, role: "learner" as const })),
      ...cohort.instructors.map((p) => ({ id: p.id, name: p.name, role: "instructor" as const })),
    ]);
  }

  /** The artifact bucket, when configured. */
  get artifactStore(): ArtifactStore | undefined {
    return this.deps.artifacts;
  }

  /** Start following the cluster and reconcile every `intervalMs` (default 5000 ms) and on every change. */
  async start(intervalMs = 5000): Promise<void> {
    this.stopped = false;
    await this.cluster.start(() => this.requestReconcile());
    await this.reconcile();
    this.reconcileTimer = setInterval(() => this.requestReconcile(), intervalMs);
    this.reconcileTimer.unref();
  }

  /** Stop reconciling and watching. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.pendingReconcile = false;
    await this.chain.catch(() => undefined);
    await this.cluster.stop();
  }

  /** Ask for a reconcile soon; many requests in a burst make one pass. */
  requestReconcile(): void {
    if (this.pendingReconcile || this.stopped) return;
    this.pendingReconcile = true;
    // A burst of watch events (a busy class) makes one pass, not one per event.
    this.debounceTimer = setTimeout(() => {
      this.pendingReconcile = false;
      void this.reconcile();
    }, RECONCILE_DEBOUNCE_MS);
    this.debounceTimer.unref();
  }

  /** Resolve, estimate and check a spec without storing anything. */
  estimate(learnerId: string, request: SubmitRequest): FitReport {
    return this.admission.estimate(learnerId, request);
  }

  /** Validate, estimate, then admit (a Job is created), queue or refuse a run. */
  async submit(learnerId: string, request: SubmitRequest): Promise<SubmitResult> {
    const admitted = await this.admission.enqueue(learnerId, request);
    if (admitted.decision === "refused") return admitted;
    const { runId: id, fit } = admitted;
    await this.serialized(() => this.rounds.runLocked());
    await this.createPlacedJobs();
    const run = this.runView(id);
    if (!run) throw new Error(`run ${id} vanished from the store`);
    if (run.state === "failed") return { decision: "refused", reason: run.reason ?? "refused", fit };
    return run.state === "queued" ? { decision: "queued", run, reason: run.reason } : { decision: "admitted", run };
  }

  /** Cancel a run: it ends as `cancelled`, and its Job (if any) is deleted. Final runs are left alone. */
  async cancel(runId: string, by: string): Promise<Run | undefined> {
    const before = this.store.getRun(runId);
    if (!before) return undefined;
    if (FINAL_STATES.has(before.state)) return this.runView(runId);
    const cancelled = await this.serialized(async () => {
      const finishedAt = new Date(this.now()).toISOString();
      const run = this.store.updateRun(runId, { state: "cancelled", reason: `cancelled by ${by}`, finishedAt }, [
        "queued",
        "starting",
        "running",
      ]);
      if (!run) return undefined;
      this.usage.recordUsageOf(run, finishedAt);
      this.states.record(runId, "cancelled", run.reason);
      await this.rounds.runLocked();
      return run;
    });
    // Outside the lock: the store already says cancelled, and reconcile deletes a Job this misses.
    if (cancelled && before.state !== "queued") {
      await this.cluster.deleteJob(learnerNamespace(cancelled.learnerId), runJobName(runId));
    }
    await this.createPlacedJobs();
    return this.runView(runId);
  }

  /** Take one runner event (already schema-checked). A repeated `seq` is ignored; an implausible one throws a RunInputError (400). */
  acceptRunnerEvent(runId: string, event: RunnerEvent): StoredEvent | undefined {
    return this.runnerEvents.accept(runId, event);
  }

  /** A run with its live queue facts (position, reason, ETA). */
  runView(runId: string): Run | undefined {
    const run = this.store.getRun(runId);
    return run ? this.liveFacts.withLiveFacts(run) : undefined;
  }

  /** Runs, newest first, optionally of one learner. */
  listRuns(learnerId?: string): Run[] {
    return this.store.listRuns({ learnerId }).map((r) => this.liveFacts.withLiveFacts(r));
  }

  /** The GPUs with what runs on them (for `/v1/cohort`). */
  gpuStates(active: readonly Run[] = this.store.activeRuns()): GpuState[] {
    return this.slots.states(active);
  }

  /** Every learner's quota and usage (GPU-minutes include running runs up to now). */
  learnerStates(active: readonly Run[] = this.store.activeRuns()): LearnerState[] {
    return this.usage.learnerStates(active);
  }

  /** Queued runs with their position and how long they have waited. */
  queue(): QueueEntry[] {
    return this.liveFacts.queue();
  }

  /** Compare the store with the cluster and fix the difference; then schedule. Safe to call any time. */
  async reconcile(): Promise<void> {
    await this.serialized(async () => {
      if (this.stopped || !this.cluster.synced) return;
      await this.reconciler.reconcileLocked();
      await this.rounds.runLocked();
    });
    await this.createPlacedJobs();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch((error: unknown) => this.log(`lab-controller: ${(error as Error).message}`));
    return next;
  }

  /** Create the Jobs of runs placed by the last rounds, outside the lock, so a slow API server does not stall every submission. */
  private async createPlacedJobs(): Promise<void> {
    await this.jobs.createAll(this.rounds.takePlaced());
  }
}
