/**
 * The life of a run, from submission to its result: validate and estimate (the VRAM
 * estimator), admit, queue or refuse (the scheduler), create its Job, follow the Job and its pod,
 * take runner events, and finish it from the termination message. Every step is idempotent and
 * level-triggered: `reconcile()` compares the store with the cluster and fixes the difference,
 * so a restarted controller re-adopts running Jobs, creates a Job it had decided on but not yet
 * created, and never creates one twice (Job names are deterministic).
 */
import { randomBytes } from "node:crypto";
import type { V1Job } from "@kubernetes/client-node";
import { findInstanceType, gpuOf } from "../../catalog/aws-instances";
import { datasetObjectKey, LABELS, learnerNamespace, runArtifactPrefix, runJobName } from "../../charts/names";
import {
  ATTEMPT_ANNOTATION,
  buildRunnerJob,
  GRANTED_VRAM_ANNOTATION,
  RUN_SPEC_ANNOTATION,
  RUNNER_DEFAULT_HOST_MEMORY_MIB,
  runnerHostMemoryMiB,
  runnerResources,
} from "../../charts/runner-job";
import {
  type GpuState,
  type LearnerState,
  largestSlotMiB,
  type QueuedRun,
  refusalReason,
  type SchedulingDecision,
  scheduleRound,
} from "../../core/scheduler";
import { estimatePeakVram, UnknownModelError } from "../../core/vram/estimate-peak-vram";
import { type FitSuggestion, suggestFit } from "../../core/vram/suggest-fit";
import type { Cohort, GpuPool } from "../../schema/cohort";
import { type RunnerEvent, RunResultSchema } from "../../schema/run-result";
import { type RunSpec, RunSpecError, RunSpecSchema, resolveRunSpec } from "../../schema/run-spec";
import type { ArtifactStore } from "../artifacts/artifact-store";
import { checkDatasetUpload } from "../artifacts/dataset-upload";
import { type GpuDevice, gpuInventoryFromNodes, nodeAllocatableMemoryMiB } from "../cluster/gpu-inventory";
import { interpretJob, type JobOutcome } from "../cluster/job-outcome";
import type { ClusterPort } from "../cluster/kube-cluster";
import { sha256Hex } from "../server/token-directory";
import type { RunStore, StoredEvent } from "../store/run-store";
import { ACTIVE_STATES, FINAL_STATES, type Run, type RunEstimate, type RunState } from "./run";
import { RunEventBus } from "./run-event-bus";

/** Wait this long after a cluster change before reconciling, ms, so a burst makes one pass. */
export const RECONCILE_DEBOUNCE_MS = 50;

/** A Job this process created is trusted to exist for this long before a missing cache entry is checked with the API server, ms. */
const JOB_CACHE_GRACE_MS = 30_000;

/** A run is requeued at most this many times after its node was lost (so it runs at most twice). */
export const MAX_ATTEMPTS = 2;

/** Input the learner made a mistake in: the API answers 400 with `problems`. */
export class RunInputError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = "RunInputError";
  }
}

/** What a learner sends to `POST /v1/runs` and `POST /v1/estimate`. */
export interface SubmitRequest {
  /** Partial RunSpec; `exercise` picks the defaults (default: the cohort's first exercise). */
  readonly spec?: unknown;
  /** A JSONL dataset uploaded with the run. */
  readonly dataset?: { readonly name: string; readonly contentBase64: string };
}

/** The estimator's verdict on a spec, for `POST /v1/estimate` and refusals. */
export interface FitReport {
  readonly fits: boolean;
  readonly spec: RunSpec;
  readonly estimate: RunEstimate;
  /** The learner's VRAM quota, MiB. */
  readonly quotaMiB: number;
  /** The largest GPU slot the cohort has, MiB. */
  readonly largestSlotMiB: number;
  /** Why it does not fit (absent when it fits). */
  readonly reason?: string;
  /** Nearby configurations that fit, nearest first. */
  readonly suggestions: ReadonlyArray<{ change: string; spec: RunSpec; totalMiB: number }>;
}

/** The answer to a submission. */
export type SubmitResult =
  | { readonly decision: "admitted" | "queued"; readonly run: Run; readonly reason?: string }
  | { readonly decision: "refused"; readonly reason: string; readonly fit: FitReport };

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

/** Live facts about a queued run that are not stored (they change every round). */
interface QueueFacts {
  readonly position: number;
  readonly reason: string;
}

/** The run lifecycle. One per controller process. */
export class RunLifecycle {
  /** Events of all runs, for SSE. */
  readonly bus = new RunEventBus();
  private readonly store: RunStore;
  private readonly cluster: ClusterPort;
  private readonly cohort: Cohort;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private queueFacts = new Map<string, QueueFacts>();
  /** GPUs seen at the last scheduling round (for queue ETAs). */
  private gpuCount = 0;
  /** Serializes scheduling and reconciling, so two rounds never place on the same free memory. */
  private chain: Promise<unknown> = Promise.resolve();
  private reconcileTimer?: NodeJS.Timeout;
  private pendingReconcile = false;
  private debounceTimer?: NodeJS.Timeout;
  /** Runs placed but whose Job is not created yet. */
  private readonly placed: Run[] = [];
  /** Runs whose Job this process created (or is creating), and when (ms), until the Job shows up in the cache. */
  private readonly createdJobs = new Map<string, { at: number; key: string }>();
  private stopped = false;

  constructor(private readonly deps: RunLifecycleDeps) {
    this.store = deps.store;
    this.cluster = deps.cluster;
    this.cohort = deps.cohort;
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? ((m) => console.error(m));
    this.store.replacePeople([
      ...deps.cohort.learners.map((p) => ({ id: p.id, name: p.name, role: "learner" as const })),
      ...deps.cohort.instructors.map((p) => ({ id: p.id, name: p.name, role: "instructor" as const })),
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
    const spec = this.resolveSpec(request.spec, request.dataset ? { name: request.dataset.name } : undefined);
    return this.fitReport(learnerId, spec);
  }

  /** Validate, estimate, then admit (a Job is created), queue or refuse a run. */
  async submit(learnerId: string, request: SubmitRequest): Promise<SubmitResult> {
    let dataset: { name: string; uri: string; sha256: string } | undefined;
    let upload: { key: string; bytes: Buffer } | undefined;
    if (request.dataset) {
      if (!this.deps.artifacts)
        throw new RunInputError("dataset uploads need the artifact bucket, which this controller has not been given");
      let checked: ReturnType<typeof checkDatasetUpload>;
      try {
        checked = checkDatasetUpload(request.dataset.name, request.dataset.contentBase64);
      } catch (error) {
        throw new RunInputError((error as Error).message);
      }
      const key = datasetObjectKey(this.cohort.name, learnerId, checked.sha256);
      dataset = { name: request.dataset.name, uri: `s3://${this.bucket()}/${key}`, sha256: checked.sha256 };
      upload = { key, bytes: checked.bytes };
    }
    const spec = this.resolveSpec(request.spec, dataset);
    const active = this.store.activeRuns();
    const fit = this.fitReport(learnerId, spec, active);
    const learner = this.learnerStates(active).find((l) => l.learnerId === learnerId);
    const probe: QueuedRun = {
      runId: "new",
      learnerId,
      requestMiB: fit.estimate.totalMiB,
      submittedAt: this.now(),
      expectedMinutes: undefined,
    };
    const refusal = refusalReason(probe, learner, this.gpuStates(active));
    if (refusal) return { decision: "refused", reason: refusal, fit };
    if (upload) await this.deps.artifacts?.put(upload.key, upload.bytes, "application/x-ndjson");

    const id = (this.deps.newRunId ?? newRunId)();
    const createdAt = new Date(this.now()).toISOString();
    this.store.insertRun({ id, learnerId, spec, estimate: fit.estimate, state: "queued", createdAt });
    this.recordState(id, "queued");
    await this.serialized(() => this.scheduleLocked());
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
      this.recordUsageOf(run, finishedAt);
      this.recordState(runId, "cancelled", run.reason);
      await this.scheduleLocked();
      return run;
    });
    // Outside the lock: the store already says cancelled, and reconcile deletes a Job this misses.
    if (cancelled && before.state !== "queued") {
      await this.cluster.deleteJob(learnerNamespace(cancelled.learnerId), runJobName(runId));
    }
    await this.createPlacedJobs();
    return this.runView(runId);
  }

  /** Take one runner event (already schema-checked). A repeated `seq` is ignored. */
  acceptRunnerEvent(runId: string, event: RunnerEvent): StoredEvent | undefined {
    const run = this.store.getRun(runId);
    if (!run || FINAL_STATES.has(run.state)) return undefined;
    const { type, seq, ...data } = event;
    const stored = this.store.appendEvent(runId, { type, data, attempt: run.attempts, runnerSeq: seq });
    if (!stored) return undefined;
    if (event.type === "progress") {
      this.store.updateRun(runId, { step: event.step, totalSteps: event.totalSteps, lastLoss: event.loss });
    } else if (event.type === "memory") {
      this.store.updateRun(runId, { peakVramMiB: Math.max(run.peakVramMiB ?? 0, event.peakMiB) });
    } else if (event.type === "metrics") {
      this.store.updateRun(runId, { metrics: { ...run.metrics, [event.stage]: event.values } });
    } else if (event.type === "phase") {
      this.store.updateRun(runId, { phase: event.phase });
    }
    if (run.state === "starting") {
      const started = this.store.updateRun(runId, { state: "running", startedAt: new Date(this.now()).toISOString() }, [
        "starting",
      ]);
      if (started) this.recordState(runId, "running");
    }
    this.bus.publish(runId, stored);
    return stored;
  }

  /** A run with its live queue facts (position, reason, ETA). */
  runView(runId: string): Run | undefined {
    const run = this.store.getRun(runId);
    return run ? this.withLiveFacts(run) : undefined;
  }

  /** Runs, newest first, optionally of one learner. */
  listRuns(learnerId?: string): Run[] {
    return this.store.listRuns({ learnerId }).map((r) => this.withLiveFacts(r));
  }

  /** The GPUs with what runs on them (for `/v1/cohort`). */
  gpuStates(active: readonly Run[] = this.store.activeRuns()): GpuState[] {
    const devices = gpuInventoryFromNodes(this.cluster.nodes(), this.cohort.gpuPools);
    return devices.map((device) => ({
      node: device.node,
      index: device.index,
      product: device.product,
      totalMiB: device.schedulable ? device.totalMiB : 0,
      ...sharingOf(this.poolOf(device)),
      allocations: active
        .filter((r) => r.placement?.node === device.node && r.placement.gpuIndex === device.index)
        .map((r) => ({
          runId: r.id,
          learnerId: r.learnerId,
          grantedMiB: r.grantedMiB ?? r.estimate.totalMiB,
          requestMiB: r.estimate.totalMiB,
        })),
    }));
  }

  /** Every learner's quota and usage (GPU-minutes include running runs up to now). */
  learnerStates(active: readonly Run[] = this.store.activeRuns()): LearnerState[] {
    const used = this.store.gpuMinutesByLearner();
    const q = this.cohort.quotas;
    const devices = gpuInventoryFromNodes(this.cluster.nodes(), this.cohort.gpuPools);
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

  /** Queued runs with their position and how long they have waited. */
  queue(): Array<{ runId: string; learnerId: string; position: number; waitingSeconds: number; reason?: string }> {
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

  /** Compare the store with the cluster and fix the difference; then schedule. Safe to call any time. */
  async reconcile(): Promise<void> {
    await this.serialized(async () => {
      if (this.stopped || !this.cluster.synced) return;
      // Jobs of active runs are the usual case; only the others need a look in the store.
      const active = this.store.activeRuns();
      const activeIds = new Set(active.map((r) => r.id));
      const others = this.cluster.runJobs().filter((j) => !activeIds.has(j.metadata?.labels?.[LABELS.runId] ?? ""));
      await this.adoptUnknownJobs(others);
      const jobs = new Map(this.cluster.runJobs().map((j) => [`${j.metadata?.namespace}/${j.metadata?.name}`, j]));
      for (const [id, created] of this.createdJobs) if (jobs.has(created.key)) this.createdJobs.delete(id);
      for (const run of this.store.activeRuns()) {
        try {
          await this.reconcileRun(run, jobs);
        } catch (error) {
          this.log(`reconcile of run ${run.id} failed: ${(error as Error).message}`);
        }
      }
      await this.deleteJobsOfFinishedRuns(others);
      await this.scheduleLocked();
    });
    await this.createPlacedJobs();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch((error: unknown) => this.log(`lab-controller: ${(error as Error).message}`));
    return next;
  }

  private async scheduleLocked(): Promise<void> {
    const queue = this.store.queuedRuns();
    if (queue.length === 0) {
      this.queueFacts = new Map();
      return;
    }
    const expected = new Map(this.cohort.exercises.map((e) => [e.id, e.expectedMinutes]));
    const active = this.store.activeRuns();
    const gpus = this.gpuStates(active);
    this.gpuCount = gpus.length;
    const round = scheduleRound({
      gpus,
      learners: this.learnerStates(active),
      queue: queue.map((r) => ({
        runId: r.id,
        learnerId: r.learnerId,
        requestMiB: r.estimate.totalMiB,
        submittedAt: Date.parse(r.queuedAt),
        expectedMinutes: expected.get(r.exercise),
      })),
      now: this.now(),
    });
    const facts = new Map<string, QueueFacts>();
    for (const decision of round.decisions) {
      if (decision.kind === "wait") facts.set(decision.runId, { position: decision.position, reason: decision.reason });
    }
    this.queueFacts = facts;
    for (const decision of round.decisions) await this.apply(decision);
  }

  private async apply(decision: SchedulingDecision): Promise<void> {
    // A wait reason changes every round (free memory moves): it lives in `queueFacts`, not the store.
    if (decision.kind === "wait") return;
    if (decision.kind === "refuse") {
      const run = this.store.updateRun(
        decision.runId,
        { state: "failed", reason: decision.reason, finishedAt: new Date(this.now()).toISOString() },
        ["queued"],
      );
      if (run) this.recordState(run.id, "failed", decision.reason);
      return;
    }
    const before = this.store.getRun(decision.runId);
    if (!before) return;
    const run = this.store.updateRun(
      decision.runId,
      {
        state: "starting",
        placement: { node: decision.node, gpuIndex: decision.gpuIndex },
        grantedMiB: decision.grantedMiB,
        attempts: before.attempts + 1,
        reason: null,
        artifactsUri: `s3://${this.bucket()}/${runArtifactPrefix(this.cohort.name, before.learnerId, before.id)}`,
      },
      ["queued"],
    );
    if (!run) return;
    this.recordState(run.id, "starting");
    // The store now holds the grant, so later rounds see the GPU as taken; the API call is made
    // outside the lock (`createPlacedJobs`), so a slow API server does not stall every submission.
    this.placed.push(run);
  }

  /** Create the Jobs of runs placed by the last rounds; a failure leaves the run `starting` for reconcile to retry. */
  private async createPlacedJobs(): Promise<void> {
    const runs = this.placed.splice(0);
    await Promise.all(
      runs.map((run) =>
        this.createJob(run).catch((error: unknown) => {
          this.log(`run ${run.id}: ${(error as Error).message}`);
        }),
      ),
    );
  }

  /** Create the run's Job with a fresh runner token (only the token's hash is stored). */
  private async createJob(run: Run): Promise<void> {
    this.createdJobs.set(run.id, { at: this.now(), key: `${learnerNamespace(run.learnerId)}/${runJobName(run.id)}` });
    const token = randomBytes(24).toString("base64url");
    this.store.updateRun(run.id, { runTokenSha256: sha256Hex(token) });
    const nodes = this.cluster.nodes();
    const inventory = gpuInventoryFromNodes(nodes, this.cohort.gpuPools);
    const device = inventory.find((d) => d.node === run.placement?.node && d.index === run.placement?.gpuIndex);
    const pool = device ? this.poolOf(device) : this.cohort.gpuPools[0];
    const remainingMinutes = this.remainingGpuMinutes(run.learnerId);
    const share = this.gpuShare(run);
    const grantedVramMiB = run.grantedMiB ?? run.estimate.totalMiB;
    // The run's share of its node's memory matches its share of the node's GPU memory.
    const node = nodes.find((n) => n.metadata?.name === run.placement?.node);
    const allocatableMiB = nodeAllocatableMemoryMiB(node, pool.instanceType);
    const hostMemoryMiB =
      allocatableMiB === undefined
        ? RUNNER_DEFAULT_HOST_MEMORY_MIB
        : runnerHostMemoryMiB({
            nodeAllocatableMiB: allocatableMiB,
            gpusOnNode:
              inventory.filter((d) => d.node === run.placement?.node).length ||
              (findInstanceType(pool.instanceType)?.gpuCount ?? 1),
            sharing: pool.sharing,
            grantedVramMiB,
            gpuTotalMiB: device?.totalMiB ?? gpuOf(pool.instanceType)?.memoryMiB ?? grantedVramMiB,
            migSlots: sharingOf(pool).migSlots,
          });
    const job = buildRunnerJob({
      cohortName: this.cohort.name,
      runId: run.id,
      learnerId: run.learnerId,
      spec: run.spec,
      image: this.deps.runnerImage,
      sharing: pool.sharing,
      migProfile: pool.migProfile,
      grantedVramMiB,
      nodeName: run.placement?.node,
      resources: runnerResources(hostMemoryMiB),
      eventsUrl: `${this.deps.controllerUrl}/v1/runs/${run.id}/events`,
      runToken: token,
      artifactsUri:
        run.artifactsUri ?? `s3://${this.bucket()}/${runArtifactPrefix(this.cohort.name, run.learnerId, run.id)}`,
      activeDeadlineSeconds: (remainingMinutes / share) * 60,
      attempt: run.attempts,
      modelCacheClaimName: this.deps.modelCacheClaimName,
    });
    try {
      await this.cluster.createJob(job);
    } catch (error) {
      this.createdJobs.delete(run.id);
      throw error;
    }
  }

  private async reconcileRun(run: Run, jobs: ReadonlyMap<string, V1Job>): Promise<void> {
    const namespace = learnerNamespace(run.learnerId);
    const name = runJobName(run.id);
    let job = jobs.get(`${namespace}/${name}`);
    if (!job) {
      const created = this.createdJobs.get(run.id);
      // A Job this process just created is not in the cache yet: wait for the watch.
      if (created !== undefined && this.now() - created.at < JOB_CACHE_GRACE_MS) return;
      // Otherwise the cache may still lag: ask the API server before deciding the Job is gone.
      job = await this.cluster.readJob(namespace, name);
    }
    if (!job) {
      if (run.state === "starting") {
        await this.createJob(run);
        return;
      }
      await this.disrupted(run, "its Job disappeared while it was running");
      return;
    }
    const jobAttempt = Number(job.metadata?.annotations?.[ATTEMPT_ANNOTATION] ?? "1");
    if (jobAttempt < run.attempts) {
      // The Job of an earlier attempt is still being deleted; the new one follows once it is gone.
      await this.cluster.deleteJob(namespace, name);
      return;
    }
    const pods = this.cluster.podsOfRun(run.id);
    const outcome = interpretJob(job, pods, run.grantedMiB ?? run.estimate.totalMiB);
    if (outcome.kind === "failed" && !outcome.summary && pods.length === 0 && this.nodeIsGone(run.placement?.node)) {
      // The node went away with the pod on it (spot reclaim, scale-in): the pod was garbage-collected
      // and the Job counted it as failed. That is a lost node, not a failed run.
      await this.disrupted(run, `its node ${run.placement?.node} went away`);
      return;
    }
    await this.applyOutcome(run, outcome);
  }

  /** True when a node is no longer in the cluster, or is not Ready. */
  private nodeIsGone(node: string | undefined): boolean {
    if (!node) return false;
    const found = this.cluster.nodes().find((n) => n.metadata?.name === node);
    return !found?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  }

  private async applyOutcome(run: Run, outcome: JobOutcome): Promise<void> {
    const nowIso = new Date(this.now()).toISOString();
    if (outcome.kind === "pending") return;
    if (outcome.kind === "running") {
      const updated = this.store.updateRun(
        run.id,
        { state: "running", startedAt: run.startedAt ?? outcome.startedAt ?? nowIso },
        ["starting"],
      );
      if (updated) this.recordState(run.id, "running");
      return;
    }
    if (outcome.kind === "disrupted") {
      await this.disrupted(run, outcome.reason);
      return;
    }
    const summary = outcome.summary;
    const finishedAt = outcome.finishedAt ?? nowIso;
    const results = outcome.kind === "succeeded" ? await this.readResults(run) : undefined;
    const updated = this.store.updateRun(
      run.id,
      {
        state: outcome.kind,
        reason: outcome.kind === "failed" ? outcome.reason : null,
        finishedAt,
        startedAt: run.startedAt ?? finishedAt,
        peakVramMiB: Math.max(run.peakVramMiB ?? 0, summary?.peakVramMiB ?? 0, results?.peakVramMiB ?? 0) || undefined,
        metrics: {
          before: results?.metrics?.before ?? summary?.before ?? run.metrics?.before,
          after: results?.metrics?.after ?? summary?.after ?? run.metrics?.after,
        },
        samples: results?.samples,
        lastLoss: summary?.finalLoss ?? run.lastLoss,
      },
      ["starting", "running"],
    );
    if (!updated) return;
    this.recordUsageOf(updated, finishedAt);
    this.recordState(run.id, outcome.kind, updated.reason);
  }

  /** A run whose node went away: requeued once (first in line), failed the second time. */
  private async disrupted(run: Run, why: string): Promise<void> {
    const nowIso = new Date(this.now()).toISOString();
    await this.cluster.deleteJob(learnerNamespace(run.learnerId), runJobName(run.id));
    if (run.startedAt) this.recordUsageOf(run, nowIso);
    if (run.attempts < MAX_ATTEMPTS) {
      const reason = `requeued: ${why}`;
      const updated = this.store.updateRun(
        run.id,
        { state: "queued", placement: null, grantedMiB: null, startedAt: null, runTokenSha256: null, reason },
        ["starting", "running"],
      );
      if (updated) this.recordState(run.id, "queued", reason);
      return;
    }
    const reason = `${why}, for the second time; submit it again`;
    const updated = this.store.updateRun(run.id, { state: "failed", reason, finishedAt: nowIso }, [
      "starting",
      "running",
    ]);
    if (updated) this.recordState(run.id, "failed", reason);
  }

  /** Jobs of this cohort whose run the store does not know (a lost or restored database): take them over. */
  private async adoptUnknownJobs(jobs: readonly V1Job[]): Promise<void> {
    for (const job of jobs) {
      const runId = job.metadata?.labels?.[LABELS.runId];
      const learnerId = job.metadata?.labels?.[LABELS.learner];
      if (!runId || !learnerId || this.store.getRun(runId)) continue;
      const adopted = adoptFromJob(job, runId, learnerId);
      if (!adopted) {
        this.log(`Job ${job.metadata?.namespace}/${job.metadata?.name} has no readable run spec; leaving it alone`);
        continue;
      }
      this.store.insertRun({
        id: runId,
        learnerId,
        spec: adopted.spec,
        estimate: estimateOf(adopted.spec),
        state: "queued",
        createdAt: toIso(job.metadata?.creationTimestamp) ?? new Date(this.now()).toISOString(),
      });
      this.store.updateRun(runId, {
        state: "starting",
        grantedMiB: adopted.grantedMiB,
        attempts: adopted.attempt,
        placement: adopted.node ? { node: adopted.node, gpuIndex: 0 } : null,
        reason: "adopted from the cluster after the controller lost its record",
      });
      this.log(`adopted Job ${job.metadata?.namespace}/${job.metadata?.name} as run ${runId}`);
    }
  }

  /** Jobs still present for runs that ended (a cancel whose delete failed, a crash in between): delete them. */
  private async deleteJobsOfFinishedRuns(jobs: readonly V1Job[]): Promise<void> {
    for (const job of jobs) {
      const runId = job.metadata?.labels?.[LABELS.runId];
      const run = runId ? this.store.getRun(runId) : undefined;
      if (run?.state !== "cancelled") continue;
      const active = (job.status?.active ?? 0) > 0 || !(job.status?.conditions ?? []).some((c) => c.status === "True");
      if (active) await this.cluster.deleteJob(job.metadata?.namespace ?? "", job.metadata?.name ?? "");
    }
  }

  private async readResults(run: Run) {
    if (!this.deps.artifacts || !run.artifactsUri) return undefined;
    const prefix = run.artifactsUri.replace(`s3://${this.bucket()}/`, "");
    try {
      const text = await this.deps.artifacts.readText(`${prefix}results.json`);
      if (!text) return undefined;
      const parsed = RunResultSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch (error) {
      this.log(
        `run ${run.id}: could not read results.json (${(error as Error).message}); using the termination message`,
      );
      return undefined;
    }
  }

  private recordState(runId: string, state: RunState, reason?: string | null): void {
    const stored = this.store.appendEvent(runId, { type: "state", data: { state, ...(reason ? { reason } : {}) } });
    if (stored) this.bus.publish(runId, stored);
    const run = this.store.getRun(runId);
    if (run) this.bus.publishState(this.withLiveFacts(run));
  }

  private recordUsageOf(run: Run, endedAt: string): void {
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
  private gpuMinutesOf(run: Run, untilMs: number, devices?: readonly GpuDevice[]): number {
    if (!run.startedAt) return 0;
    const minutes = Math.max(0, (untilMs - Date.parse(run.startedAt)) / 60_000);
    return minutes * this.gpuShare(run, devices);
  }

  /** The fraction of a GPU a run holds: 1 exclusive, 1/slots on MIG, granted/total on HAMi. */
  private gpuShare(
    run: Run,
    devices: readonly GpuDevice[] = gpuInventoryFromNodes(this.cluster.nodes(), this.cohort.gpuPools),
  ): number {
    const device = devices.find((d) => d.node === run.placement?.node && d.index === run.placement?.gpuIndex);
    const pool = device ? this.poolOf(device) : this.cohort.gpuPools[0];
    if (pool.sharing === "exclusive") return 1;
    const sharing = sharingOf(pool);
    if (pool.sharing === "mig") return 1 / (sharing.migSlots ?? 1);
    const total = device?.totalMiB ?? 0;
    return total > 0 ? Math.min(1, (run.grantedMiB ?? run.estimate.totalMiB) / total) : 1;
  }

  private remainingGpuMinutes(learnerId: string): number {
    const mine = this.store.listRuns({ learnerId, states: [...ACTIVE_STATES] });
    const used = this.store.gpuMinutesByLearner().get(learnerId) ?? 0;
    const live = mine.reduce((sum, r) => sum + this.gpuMinutesOf(r, this.now()), 0);
    return Math.max(1, this.cohort.quotas.gpuMinutes - used - live);
  }

  private poolOf(device: GpuDevice): GpuPool {
    return this.cohort.gpuPools.find((p) => p.name === device.pool) ?? this.cohort.gpuPools[0];
  }

  private bucket(): string {
    return this.deps.bucket ?? this.deps.artifacts?.bucket ?? "labkit-artifacts";
  }

  private withLiveFacts(run: Run): Run {
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

  private resolveSpec(input: unknown, dataset?: { name: string; uri?: string; sha256?: string }): RunSpec {
    const given = (input ?? {}) as Record<string, unknown>;
    if (typeof given !== "object" || Array.isArray(given))
      throw new RunInputError("`spec` must be a JSON object (a partial RunSpec)");
    const exerciseId = typeof given.exercise === "string" ? given.exercise : this.cohort.exercises[0].id;
    const exercise = this.cohort.exercises.find((e) => e.id === exerciseId);
    if (!exercise) {
      throw new RunInputError(
        `spec.exercise: unknown exercise \`${exerciseId}\`: use one of ${this.cohort.exercises.map((e) => e.id).join(", ")}`,
      );
    }
    const withDataset = dataset
      ? {
          ...given,
          dataset: {
            ...((given.dataset as Record<string, unknown> | undefined) ?? {}),
            source: "upload",
            name: dataset.name,
            ...(dataset.uri ? { uri: dataset.uri, sha256: dataset.sha256 } : {}),
          },
        }
      : given;
    let spec: RunSpec;
    try {
      spec = resolveRunSpec(withDataset, exercise.id, exercise.defaults);
    } catch (error) {
      if (error instanceof RunSpecError)
        throw new RunInputError(
          error.message,
          error.problems.map((p) => `spec.${p}`),
        );
      throw error;
    }
    if (!this.cohort.models.some((m) => m.id === spec.baseModel)) {
      throw new RunInputError(
        `spec.baseModel: \`${spec.baseModel}\` is not in this cohort's model catalog: use one of ${this.cohort.models.map((m) => m.id).join(", ")}`,
      );
    }
    if (spec.dataset.source === "upload" && !spec.dataset.uri && !dataset) {
      throw new RunInputError(
        "spec.dataset: source `upload` needs the file: send it as `dataset: { name, contentBase64 }`",
      );
    }
    return spec;
  }

  private fitReport(learnerId: string, spec: RunSpec, active: readonly Run[] = this.store.activeRuns()): FitReport {
    const estimate = estimateOf(spec);
    const quotaMiB = Math.round(this.cohort.quotas.vramGiB * 1024);
    const gpus = this.gpuStates(active);
    const largest = gpus.length > 0 ? largestSlotMiB(gpus) : this.largestPoolSlotMiB();
    const learner = this.learnerStates(active).find((l) => l.learnerId === learnerId);
    const probe: QueuedRun = { runId: "estimate", learnerId, requestMiB: estimate.totalMiB, submittedAt: this.now() };
    const reason = refusalReason(probe, learner, gpus.length > 0 ? gpus : this.poolGpuStates());
    const limit = Math.min(quotaMiB, largest);
    let suggestions: FitSuggestion[] = [];
    if (estimate.totalMiB > limit) suggestions = suggestFit(spec, limit).slice(0, 5);
    return {
      fits: reason === undefined,
      spec,
      estimate,
      quotaMiB,
      largestSlotMiB: largest,
      ...(reason ? { reason } : {}),
      suggestions: suggestions.map((s) => ({ change: s.change, spec: s.spec, totalMiB: s.estimate.totalMiB })),
    };
  }

  /** GPU slots as the cohort declares them, for estimates before any GPU node is up (pools scaled to zero). */
  private poolGpuStates(): GpuState[] {
    return this.cohort.gpuPools.map((pool, i) => ({
      node: `pool-${pool.name}`,
      index: i,
      product: pool.instanceType,
      totalMiB: gpuOf(pool.instanceType)?.memoryMiB ?? 0,
      ...sharingOf(pool),
      allocations: [],
    }));
  }

  private largestPoolSlotMiB(): number {
    return Math.max(
      0,
      ...this.cohort.gpuPools.map((pool) => sharingOf(pool).migProfileMiB ?? gpuOf(pool.instanceType)?.memoryMiB ?? 0),
    );
  }
}

/** The scheduler's sharing fields for a pool. */
function sharingOf(pool: GpuPool): Pick<GpuState, "mode" | "migProfileMiB" | "migSlots"> {
  if (pool.sharing !== "mig") return { mode: pool.sharing };
  const profile = gpuOf(pool.instanceType)?.migProfiles.find((p) => p.name === pool.migProfile);
  return { mode: "mig", migProfileMiB: profile?.memoryMiB, migSlots: profile?.perGpu };
}

function estimateOf(spec: RunSpec): RunEstimate {
  try {
    const estimate = estimatePeakVram(spec);
    return { totalMiB: estimate.totalMiB, breakdown: estimate.breakdown };
  } catch (error) {
    if (error instanceof UnknownModelError) throw new RunInputError(`spec.baseModel: ${error.message}`);
    throw error;
  }
}

function adoptFromJob(job: V1Job, _runId: string, _learnerId: string) {
  const annotations = job.metadata?.annotations ?? {};
  try {
    const spec = RunSpecSchema.parse(JSON.parse(annotations[RUN_SPEC_ANNOTATION] ?? ""));
    const node =
      job.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values?.[0];
    return {
      spec,
      grantedMiB: Number(annotations[GRANTED_VRAM_ANNOTATION] ?? "0") || undefined,
      attempt: Number(annotations[ATTEMPT_ANNOTATION] ?? "1"),
      node,
    };
  } catch {
    return undefined;
  }
}

function toIso(value: Date | string | undefined): string | undefined {
  if (!value) return undefined;
  return value instanceof Date ? value.toISOString() : String(value);
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A new run id: 12 characters of lower-case base 32 (60 random bits), valid in Job names. */
export function newRunId(): string {
  const bytes = randomBytes(12);
  let id = "";
  for (const b of bytes) id += BASE32[b & 31];
  // Start with a letter, so the id is never mistaken for a number in YAML or labels.
  return id[0] >= "a" && id[0] <= "z" ? id : `r${id.slice(1)}`;
}
