/**
 * Creating a placed run's Job: a fresh runner token (only its hash is stored, with an expiry at
 * the Job's deadline plus a margin), the pool's sharing mode, the run's share of its node's
 * memory, and a deadline of the learner's remaining GPU-minutes. The token reaches the runner
 * through a Secret of its own, created after the Job and owned by it (runner-job.ts); the
 * kubelet holds the container until the Secret exists. It remembers the Jobs it created until
 * the informer's cache shows them, so a reconcile does not mistake a Job still on its way for
 * one that disappeared.
 */
import { randomBytes } from "node:crypto";
import type { V1Job } from "@kubernetes/client-node";
import { findInstanceType, gpuOf } from "../../catalog/aws-instances";
import { learnerNamespace, runArtifactPrefix, runJobName } from "../../charts/names";
import {
  buildRunnerJob,
  buildRunTokenSecret,
  RUNNER_DEFAULT_HOST_MEMORY_MIB,
  runnerActiveDeadlineSeconds,
  runnerHostMemoryMiB,
  runnerResources,
} from "../../charts/runner-job";
import type { Cohort } from "../../schema/cohort";
import { gpuInventoryFromNodes, nodeAllocatableMemoryMiB } from "../cluster/gpu-inventory";
import type { ClusterPort } from "../cluster/kube-cluster";
import { sha256Hex } from "../server/token-directory";
import type { RunStore } from "../store/run-store";
import { type GpuSlots, sharingOf } from "./gpu-slots";
import type { Run } from "./run";
import type { UsageAccounting } from "./usage-accounting";

/** A Job this process created is trusted to exist for this long before a missing cache entry is checked with the API server, ms. */
const JOB_CACHE_GRACE_MS = 30_000;

/**
 * A runner token works this long past its Job's deadline, ms: Kubernetes stops the Job at the
 * deadline, so the margin only covers clock skew and the last events of a runner being stopped.
 */
export const RUN_TOKEN_MARGIN_MS = 10 * 60_000;

/** A fresh runner token: 24 random bytes, base64url. */
function newRunToken(): string {
  return randomBytes(24).toString("base64url");
}

/** What Job creation depends on. */
export interface RunJobCreatorDeps {
  readonly cohort: Cohort;
  readonly store: RunStore;
  readonly cluster: ClusterPort;
  readonly slots: GpuSlots;
  readonly usage: UsageAccounting;
  /** Bucket name for `s3://` URIs. */
  readonly bucket: string;
  /** Base URL runners post events to. */
  readonly controllerUrl: string;
  /** Runner image. */
  readonly runnerImage: string;
  /** Model-cache claim in each learner namespace (the Job builder's default when absent). */
  readonly modelCacheClaimName?: string;
  /** Clock, ms since the epoch. */
  readonly now: () => number;
  /** Where problems are logged. */
  readonly log: (message: string) => void;
}

/** Creates runner Jobs and remembers them until the cache has them. */
export class RunJobCreator {
  /** Runs whose Job this process created (or is creating), and when (ms), until the Job shows up in the cache. */
  private readonly createdJobs = new Map<string, { at: number; key: string }>();

  constructor(private readonly deps: RunJobCreatorDeps) {}

  /** Create the Jobs of placed runs; a failure is logged and leaves the run `starting` for reconcile to retry. */
  async createAll(runs: readonly Run[]): Promise<void> {
    await Promise.all(
      runs.map((run) =>
        this.create(run).catch((error: unknown) => {
          this.deps.log(`run ${run.id}: ${(error as Error).message}`);
        }),
      ),
    );
  }

  /** True while a Job this process created may simply not be in the cache yet. */
  mayBeOnItsWay(runId: string): boolean {
    const created = this.createdJobs.get(runId);
    return created !== undefined && this.deps.now() - created.at < JOB_CACHE_GRACE_MS;
  }

  /** Forget the created Jobs the cache now shows (`jobs` keyed by `namespace/name`). */
  forgetCached(jobs: ReadonlyMap<string, V1Job>): void {
    for (const [id, created] of this.createdJobs) if (jobs.has(created.key)) this.createdJobs.delete(id);
  }

  /**
   * Create the run's Job, then its token Secret owned by the Job, with a fresh runner token
   * (only the token's hash is stored, before anything is created). When the Secret cannot be
   * created, a Job this call created is deleted again, so a reconcile retries both.
   */
  async create(run: Run): Promise<void> {
    const { cohort, store, cluster, slots, usage } = this.deps;
    const namespace = learnerNamespace(run.learnerId);
    const name = runJobName(run.id);
    this.createdJobs.set(run.id, { at: this.deps.now(), key: `${namespace}/${name}` });
    const nodes = cluster.nodes();
    const inventory = gpuInventoryFromNodes(nodes, cohort.gpuPools);
    const device = inventory.find((d) => d.node === run.placement?.node && d.index === run.placement?.gpuIndex);
    const pool = device ? slots.poolOf(device) : cohort.gpuPools[0];
    const remainingMinutes = usage.remainingGpuMinutes(run.learnerId);
    const share = usage.gpuShare(run);
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
    const activeDeadlineSeconds = runnerActiveDeadlineSeconds((remainingMinutes / share) * 60);
    const token = newRunToken();
    store.updateRun(run.id, {
      runTokenSha256: sha256Hex(token),
      runTokenExpiresAtMs: this.deps.now() + activeDeadlineSeconds * 1000 + RUN_TOKEN_MARGIN_MS,
    });
    const job = buildRunnerJob({
      cohortName: cohort.name,
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
      artifactsUri:
        run.artifactsUri ?? `s3://${this.deps.bucket}/${runArtifactPrefix(cohort.name, run.learnerId, run.id)}`,
      activeDeadlineSeconds,
      attempt: run.attempts,
      modelCacheClaimName: this.deps.modelCacheClaimName,
    });
    let created: Awaited<ReturnType<ClusterPort["createJob"]>>;
    try {
      created = await cluster.createJob(job);
    } catch (error) {
      this.createdJobs.delete(run.id);
      throw error;
    }
    try {
      const uid = created.uid ?? (await cluster.readJob(namespace, name))?.metadata?.uid;
      if (!uid) throw new Error(`the API server has no uid for Job ${namespace}/${name}`);
      await this.replaceTokenSecret(run, token, { name, uid });
    } catch (error) {
      this.createdJobs.delete(run.id);
      if (created.outcome === "created") await cluster.deleteJob(namespace, name).catch(() => undefined);
      throw new Error(
        `could not hand run ${run.id} its token (${(error as Error).message}); ` +
          "the controller needs `create` and `delete` on secrets in the learner namespaces (charts/controller/controller-rbac.ts)",
      );
    }
  }

  /**
   * For a Job whose pod waits for a token Secret that is not there (the controller stopped
   * between creating the Job and its Secret, or the Secret of an earlier Job was collected):
   * create the Secret with a fresh token and store its hash. A Secret that exists is left alone
   * (the pod's status may simply lag), as is a Job this process is still creating.
   */
  async restoreTokenSecret(run: Run, job: V1Job): Promise<void> {
    const name = job.metadata?.name;
    const uid = job.metadata?.uid;
    if (!name || !uid || this.mayBeOnItsWay(run.id)) return;
    const token = newRunToken();
    const outcome = await this.deps.cluster.createSecret(
      buildRunTokenSecret({
        cohortName: this.deps.cohort.name,
        runId: run.id,
        learnerId: run.learnerId,
        exercise: run.exercise,
        runToken: token,
        ownerJob: { name, uid },
      }),
    );
    if (outcome !== "created") return;
    const startedMs = toMs(job.status?.startTime) ?? toMs(job.metadata?.creationTimestamp) ?? this.deps.now();
    const deadlineSeconds = job.spec?.activeDeadlineSeconds ?? 0;
    this.deps.store.updateRun(
      run.id,
      {
        runTokenSha256: sha256Hex(token),
        runTokenExpiresAtMs: startedMs + deadlineSeconds * 1000 + RUN_TOKEN_MARGIN_MS,
      },
      ["starting", "running"],
    );
    this.deps.log(`run ${run.id}: its pod was waiting for its token Secret; created it with a new token`);
  }

  /** Create the run's token Secret owned by `ownerJob`, replacing one left by an earlier Job of the run. */
  private async replaceTokenSecret(run: Run, token: string, ownerJob: { name: string; uid: string }): Promise<void> {
    const { cluster, cohort } = this.deps;
    const secret = buildRunTokenSecret({
      cohortName: cohort.name,
      runId: run.id,
      learnerId: run.learnerId,
      exercise: run.exercise,
      runToken: token,
      ownerJob,
    });
    if ((await cluster.createSecret(secret)) === "created") return;
    // An earlier Job's Secret (its garbage collection pending) holds an old token: replace it.
    await cluster.deleteSecret(secret.metadata.namespace, secret.metadata.name);
    if ((await cluster.createSecret(secret)) === "exists") {
      throw new Error(`Secret ${secret.metadata.namespace}/${secret.metadata.name} was recreated by someone else`);
    }
  }
}

/** Milliseconds since the epoch of a Kubernetes timestamp, or undefined. */
function toMs(value: Date | string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
