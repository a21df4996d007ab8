/**
 * The Job reconciler: compares the store's active runs with the cluster's runner Jobs and fixes
 * the difference. A running pod makes its run `running`; a finished one finishes it from the
 * termination message (and `results.json`); a lost node requeues it once; a Job the store does
 * not know is adopted; a Job of a cancelled run is deleted; a pod waiting for its token Secret
 * gets one. Level-triggered and idempotent, so a restarted controller picks up where it left off.
 *
 * A succeeded run's metrics are what the controller read from the runner's own outputs:
 * `results.json` under the run's prefix in the artifact bucket, else the termination message
 * (written by the runner process, reported by the kubelet). Metrics the run's events reported
 * are dropped then, even when no other source has any: events come over HTTP with a bearer
 * token, so they are news while the run is active, never a result to rank.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { LABELS, learnerNamespace, runJobName } from "../../charts/names";
import {
  ATTEMPT_ANNOTATION,
  GRANTED_VRAM_ANNOTATION,
  RUN_SPEC_ANNOTATION,
  RUNNER_CONTAINER,
  runTokenSecretName,
} from "../../charts/runner-job";
import { interpretJob, type JobOutcome } from "../../charts/runner-job-outcome";
import { type MetricValues, RunResultSchema } from "../../schema/run-result";
import { RunSpecSchema } from "../../schema/run-spec";
import type { ArtifactStore } from "../artifacts/artifact-store";
import type { ClusterPort } from "../cluster/kube-cluster";
import type { RunStore } from "../store/run-store";
import type { Run } from "./run";
import { estimateOf } from "./run-admission";
import type { RunJobCreator } from "./run-job-creator";
import type { RunStateRecorder } from "./run-state-recorder";
import type { UsageAccounting } from "./usage-accounting";

/** A run is requeued at most this many times after its node was lost (so it runs at most twice). */
export const MAX_ATTEMPTS = 2;

/** What the reconciler depends on. */
export interface JobReconcilerDeps {
  readonly store: RunStore;
  readonly cluster: ClusterPort;
  readonly jobs: RunJobCreator;
  readonly usage: UsageAccounting;
  readonly states: RunStateRecorder;
  /** The artifact bucket, where a finished run's `results.json` is read; absent: the termination message only. */
  readonly artifacts?: ArtifactStore;
  /** Bucket name of the runs' `s3://` artifact URIs. */
  readonly bucket: string;
  /** Clock, ms since the epoch. */
  readonly now: () => number;
  /** Where problems are logged. */
  readonly log: (message: string) => void;
}

/** Brings the store's runs in line with the cluster's Jobs. */
export class JobReconciler {
  constructor(private readonly deps: JobReconcilerDeps) {}

  /** One pass over every Job and active run. Only under the lifecycle's lock, once the cluster cache is synced. */
  async reconcileLocked(): Promise<void> {
    const { store, cluster } = this.deps;
    // Jobs of active runs are the usual case; only the others need a look in the store.
    const active = store.activeRuns();
    const activeIds = new Set(active.map((r) => r.id));
    const others = cluster.runJobs().filter((j) => !activeIds.has(j.metadata?.labels?.[LABELS.runId] ?? ""));
    await this.adoptUnknownJobs(others);
    const jobs = new Map(cluster.runJobs().map((j) => [`${j.metadata?.namespace}/${j.metadata?.name}`, j]));
    this.deps.jobs.forgetCached(jobs);
    for (const run of store.activeRuns()) {
      try {
        await this.reconcileRun(run, jobs);
      } catch (error) {
        this.deps.log(`reconcile of run ${run.id} failed: ${(error as Error).message}`);
      }
    }
    await this.deleteJobsOfFinishedRuns(others);
  }

  private async reconcileRun(run: Run, jobs: ReadonlyMap<string, V1Job>): Promise<void> {
    const { cluster } = this.deps;
    const namespace = learnerNamespace(run.learnerId);
    const name = runJobName(run.id);
    let job = jobs.get(`${namespace}/${name}`);
    if (!job) {
      // A Job this process just created is not in the cache yet: wait for the watch.
      if (this.deps.jobs.mayBeOnItsWay(run.id)) return;
      // Otherwise the cache may still lag: ask the API server before deciding the Job is gone.
      job = await cluster.readJob(namespace, name);
    }
    if (!job) {
      if (run.state === "starting") {
        await this.deps.jobs.create(run);
        return;
      }
      await this.disrupted(run, "its Job disappeared while it was running");
      return;
    }
    const jobAttempt = Number(job.metadata?.annotations?.[ATTEMPT_ANNOTATION] ?? "1");
    if (jobAttempt < run.attempts) {
      // The Job of an earlier attempt is still being deleted; the new one follows once it is gone.
      await cluster.deleteJob(namespace, name);
      return;
    }
    const pods = cluster.podsOfRun(run.id);
    const outcome = interpretJob(job, pods, run.grantedMiB ?? run.estimate.totalMiB);
    if (outcome.kind === "pending" && pods.some((pod) => waitsForSecret(pod, runTokenSecretName(run.id)))) {
      await this.deps.jobs.restoreTokenSecret(run, job);
      return;
    }
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
    const found = this.deps.cluster.nodes().find((n) => n.metadata?.name === node);
    return !found?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  }

  private async applyOutcome(run: Run, outcome: JobOutcome): Promise<void> {
    const { store, states } = this.deps;
    const nowIso = new Date(this.deps.now()).toISOString();
    if (outcome.kind === "pending") return;
    if (outcome.kind === "running") {
      const updated = store.updateRun(
        run.id,
        { state: "running", startedAt: run.startedAt ?? outcome.startedAt ?? nowIso },
        ["starting"],
      );
      if (updated) states.record(run.id, "running");
      return;
    }
    if (outcome.kind === "disrupted") {
      await this.disrupted(run, outcome.reason);
      return;
    }
    const summary = outcome.summary;
    const finishedAt = outcome.finishedAt ?? nowIso;
    const results = outcome.kind === "succeeded" ? await this.readResults(run) : undefined;
    const verified = results?.metrics ?? (summary ? { before: summary.before, after: summary.after } : undefined);
    if (outcome.kind === "succeeded" && run.metrics?.after && !sameMetrics(run.metrics.after, verified?.after)) {
      this.deps.log(
        `run ${run.id}: its events reported after-training metrics ${JSON.stringify(run.metrics.after)}, ` +
          `but ${results ? "results.json" : "its termination message"} says ${JSON.stringify(verified?.after ?? null)}; ` +
          "the run keeps (and the leaderboard ranks) the latter",
      );
    }
    const updated = store.updateRun(
      run.id,
      {
        state: outcome.kind,
        reason: outcome.kind === "failed" ? outcome.reason : null,
        finishedAt,
        startedAt: run.startedAt ?? finishedAt,
        peakVramMiB: Math.max(run.peakVramMiB ?? 0, summary?.peakVramMiB ?? 0, results?.peakVramMiB ?? 0) || undefined,
        // A succeeded run keeps only verified metrics; a failed one keeps what it got to measure.
        metrics:
          outcome.kind === "succeeded"
            ? { before: verified?.before, after: verified?.after }
            : { before: summary?.before ?? run.metrics?.before, after: summary?.after ?? run.metrics?.after },
        samples: results?.samples,
        lastLoss: summary?.finalLoss ?? run.lastLoss,
      },
      ["starting", "running"],
    );
    if (!updated) return;
    this.deps.usage.recordUsageOf(updated, finishedAt);
    states.record(run.id, outcome.kind, updated.reason);
  }

  /** A run whose node went away: requeued once (first in line), failed the second time. */
  private async disrupted(run: Run, why: string): Promise<void> {
    const { store, states } = this.deps;
    const nowIso = new Date(this.deps.now()).toISOString();
    await this.deps.cluster.deleteJob(learnerNamespace(run.learnerId), runJobName(run.id));
    if (run.startedAt) this.deps.usage.recordUsageOf(run, nowIso);
    if (run.attempts < MAX_ATTEMPTS) {
      const reason = `requeued: ${why}`;
      const updated = store.updateRun(
        run.id,
        {
          state: "queued",
          placement: null,
          grantedMiB: null,
          startedAt: null,
          runTokenSha256: null,
          runTokenExpiresAtMs: null,
          // The next attempt trains from step 0; its events are checked against its own steps.
          step: null,
          totalSteps: null,
          reason,
        },
        ["starting", "running"],
      );
      if (updated) states.record(run.id, "queued", reason);
      return;
    }
    const reason = `${why}, for the second time; submit it again`;
    const updated = store.updateRun(run.id, { state: "failed", reason, finishedAt: nowIso }, ["starting", "running"]);
    if (updated) states.record(run.id, "failed", reason);
  }

  /** Jobs of this cohort whose run the store does not know (a lost or restored database): take them over. */
  private async adoptUnknownJobs(jobs: readonly V1Job[]): Promise<void> {
    const { store, log } = this.deps;
    for (const job of jobs) {
      const runId = job.metadata?.labels?.[LABELS.runId];
      const learnerId = job.metadata?.labels?.[LABELS.learner];
      if (!runId || !learnerId || store.getRun(runId)) continue;
      const adopted = adoptFromJob(job);
      if (!adopted) {
        log(`Job ${job.metadata?.namespace}/${job.metadata?.name} has no readable run spec; leaving it alone`);
        continue;
      }
      store.insertRun({
        id: runId,
        learnerId,
        spec: adopted.spec,
        estimate: estimateOf(adopted.spec),
        state: "queued",
        createdAt: toIso(job.metadata?.creationTimestamp) ?? new Date(this.deps.now()).toISOString(),
      });
      store.updateRun(runId, {
        state: "starting",
        grantedMiB: adopted.grantedMiB,
        attempts: adopted.attempt,
        placement: adopted.node ? { node: adopted.node, gpuIndex: 0 } : null,
        reason: "adopted from the cluster after the controller lost its record",
      });
      log(`adopted Job ${job.metadata?.namespace}/${job.metadata?.name} as run ${runId}`);
    }
  }

  /** Jobs still present for runs that ended (a cancel whose delete failed, a crash in between): delete them. */
  private async deleteJobsOfFinishedRuns(jobs: readonly V1Job[]): Promise<void> {
    for (const job of jobs) {
      const runId = job.metadata?.labels?.[LABELS.runId];
      const run = runId ? this.deps.store.getRun(runId) : undefined;
      if (run?.state !== "cancelled") continue;
      const active = (job.status?.active ?? 0) > 0 || !(job.status?.conditions ?? []).some((c) => c.status === "True");
      if (active) await this.deps.cluster.deleteJob(job.metadata?.namespace ?? "", job.metadata?.name ?? "");
    }
  }

  /** A succeeded run's `results.json`; undefined (the termination message decides) when absent or unreadable. */
  private async readResults(run: Run) {
    const { artifacts } = this.deps;
    if (!artifacts || !run.artifactsUri) return undefined;
    const prefix = run.artifactsUri.replace(`s3://${this.deps.bucket}/`, "");
    try {
      const text = await artifacts.readText(`${prefix}results.json`);
      if (!text) return undefined;
      const parsed = RunResultSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch (error) {
      this.deps.log(
        `run ${run.id}: could not read results.json (${(error as Error).message}); using the termination message`,
      );
      return undefined;
    }
  }
}

/** Whether a pod's runner container waits because its token Secret is missing (the kubelet retries until it exists). */
function waitsForSecret(pod: V1Pod, secretName: string): boolean {
  const waiting = pod.status?.containerStatuses?.find((c) => c.name === RUNNER_CONTAINER)?.state?.waiting;
  return waiting?.reason === "CreateContainerConfigError" && (waiting.message ?? "").includes(secretName);
}

/** Whether two sets of metrics say the same (both absent counts as the same). */
function sameMetrics(a: MetricValues | undefined, b: MetricValues | undefined): boolean {
  return a?.perplexity === b?.perplexity && a?.rougeL === b?.rougeL && a?.bleu === b?.bleu;
}

/** What a runner Job's annotations and node affinity say about its run; undefined without a readable spec. */
function adoptFromJob(job: V1Job) {
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
