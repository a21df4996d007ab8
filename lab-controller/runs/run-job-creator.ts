/**
 * Creating a placed run's Job: a fresh runner token (only its hash is stored), the pool's
 * sharing mode, the run's share of its node's memory, and a deadline of the learner's remaining
 * GPU-minutes. It remembers the Jobs it created until the informer's cache shows them, so a
 * reconcile does not mistake a Job still on its way for one that disappeared.
 */
import { randomBytes } from "node:crypto";
import type { V1Job } from "@kubernetes/client-node";
import { findInstanceType, gpuOf } from "../../catalog/aws-instances";
import { learnerNamespace, runArtifactPrefix, runJobName } from "../../charts/names";
import {
  buildRunnerJob,
  RUNNER_DEFAULT_HOST_MEMORY_MIB,
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

  /** Create the run's Job with a fresh runner token (only the token's hash is stored). */
  async create(run: Run): Promise<void> {
    const { cohort, store, cluster, slots, usage } = this.deps;
    this.createdJobs.set(run.id, {
      at: this.deps.now(),
      key: `${learnerNamespace(run.learnerId)}/${runJobName(run.id)}`,
    });
    const token = randomBytes(24).toString("base64url");
    store.updateRun(run.id, { runTokenSha256: sha256Hex(token) });
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
      runToken: token,
      artifactsUri:
        run.artifactsUri ?? `s3://${this.deps.bucket}/${runArtifactPrefix(cohort.name, run.learnerId, run.id)}`,
      activeDeadlineSeconds: (remainingMinutes / share) * 60,
      attempt: run.attempts,
      modelCacheClaimName: this.deps.modelCacheClaimName,
    });
    try {
      await cluster.createJob(job);
    } catch (error) {
      this.createdJobs.delete(run.id);
      throw error;
    }
  }
}
