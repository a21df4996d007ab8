/**
 * The lab-controller's view of Kubernetes, through @kubernetes/client-node: GPU nodes, the
 * cohort's runner Jobs and their pods (watched by informers that re-list after errors), and
 * the writes the controller makes (create and delete a Job, create and delete a run's token
 * Secret). It never reads a Secret. It holds no run logic: `RunLifecycle` decides, this adapter
 * carries the decision out.
 */
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Node,
  type V1Pod,
  type V1Secret,
} from "@kubernetes/client-node";
import { commonLabels, LABELS } from "../../charts/names";
import type { RunnerJob, RunTokenSecret } from "../../charts/runner-job";
import { ResilientInformer } from "./resilient-informer";

/** What the run lifecycle needs from a cluster; `KubeCluster` is the real one. */
export interface ClusterPort {
  /** Start watching; resolves once the first lists are in (or have failed and will be retried). */
  start(onChange: () => void): Promise<void>;
  stop(): Promise<void>;
  /** True once Jobs and pods have been listed at least once (before that, absence means nothing). */
  readonly synced: boolean;
  /** Every Node (cached). */
  nodes(): V1Node[];
  /** The cohort's runner Jobs (cached). */
  runJobs(): V1Job[];
  /** The pods of one run (cached). */
  podsOfRun(runId: string): V1Pod[];
  /**
   * Create a Job; `exists` when one of that name is already there (nothing is created twice).
   * `uid` is the created Job's, from the API server's answer.
   */
  createJob(job: RunnerJob): Promise<{ readonly outcome: "created" | "exists"; readonly uid?: string }>;
  /** Read a Job from the API server (not the cache); undefined when absent. */
  readJob(namespace: string, name: string): Promise<V1Job | undefined>;
  /** Delete a Job and its pods; absent is fine. */
  deleteJob(namespace: string, name: string): Promise<void>;
  /** Create a run's token Secret; `exists` when one of that name is already there (it is not read). */
  createSecret(secret: RunTokenSecret): Promise<"created" | "exists">;
  /** Delete a Secret; absent is fine. */
  deleteSecret(namespace: string, name: string): Promise<void>;
}

/** Informer counters, for /metrics. */
export interface ClusterStats {
  readonly informerRestarts: number;
  readonly watchErrors: number;
}

/** The real cluster, reached with a KubeConfig (in-cluster: `kc.loadFromCluster()`). */
export class KubeCluster implements ClusterPort {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly jobs: ResilientInformer<V1Job>;
  private readonly pods: ResilientInformer<V1Pod>;
  private readonly nodeInformer: ResilientInformer<V1Node>;
  private onChange: () => void = () => {};
  private watchErrors = 0;

  constructor(
    kubeConfig: KubeConfig,
    cohortName: string,
    /** Restart delay of the informers after an error, ms. Default 1000. */
    restartDelayMs = 1000,
  ) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    const selector = Object.entries(commonLabels(cohortName, "runner"))
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const events = {
      onChange: () => this.onChange(),
      onError: () => {
        this.watchErrors++;
      },
    };
    this.jobs = new ResilientInformer<V1Job>(
      kubeConfig,
      "/apis/batch/v1/jobs",
      () => this.batch.listJobForAllNamespaces({ labelSelector: selector }),
      selector,
      events,
      restartDelayMs,
    );
    this.pods = new ResilientInformer<V1Pod>(
      kubeConfig,
      "/api/v1/pods",
      () => this.core.listPodForAllNamespaces({ labelSelector: selector }),
      selector,
      events,
      restartDelayMs,
    );
    this.nodeInformer = new ResilientInformer<V1Node>(
      kubeConfig,
      "/api/v1/nodes",
      () => this.core.listNode(),
      undefined,
      events,
      restartDelayMs,
    );
  }

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await Promise.all([this.nodeInformer.start(), this.jobs.start(), this.pods.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodeInformer.stop(), this.jobs.stop(), this.pods.stop()]);
  }

  get synced(): boolean {
    return this.jobs.synced && this.pods.synced && this.nodeInformer.synced;
  }

  /** Restart and error counts of the informers. */
  stats(): ClusterStats {
    return {
      informerRestarts: this.jobs.restarts + this.pods.restarts + this.nodeInformer.restarts,
      watchErrors: this.watchErrors,
    };
  }

  nodes(): V1Node[] {
    return this.nodeInformer.items();
  }

  runJobs(): V1Job[] {
    return this.jobs.items();
  }

  podsOfRun(runId: string): V1Pod[] {
    return this.pods.items().filter((p) => p.metadata?.labels?.[LABELS.runId] === runId);
  }

  async createJob(job: RunnerJob): Promise<{ outcome: "created" | "exists"; uid?: string }> {
    try {
      const created = await this.batch.createNamespacedJob({ namespace: job.metadata.namespace, body: job as V1Job });
      return { outcome: "created", uid: created.metadata?.uid };
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return { outcome: "exists" };
      throw describeApiError(error, `create Job ${job.metadata.namespace}/${job.metadata.name}`);
    }
  }

  async readJob(namespace: string, name: string): Promise<V1Job | undefined> {
    try {
      return await this.batch.readNamespacedJob({ namespace, name });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw describeApiError(error, `read Job ${namespace}/${name}`);
    }
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    try {
      // Jobs orphan their pods unless told otherwise; a cancelled run must free its GPU now.
      await this.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: "Background" });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw describeApiError(error, `delete Job ${namespace}/${name}`);
    }
  }

  async createSecret(secret: RunTokenSecret): Promise<"created" | "exists"> {
    const { namespace, name } = secret.metadata;
    try {
      await this.core.createNamespacedSecret({ namespace, body: secret as V1Secret });
      return "created";
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return "exists";
      throw describeApiError(error, `create Secret ${namespace}/${name}`);
    }
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({ namespace, name });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw describeApiError(error, `delete Secret ${namespace}/${name}`);
    }
  }
}

/** An Error that says which call failed and what the API server answered. */
function describeApiError(error: unknown, action: string): Error {
  if (error instanceof ApiException) {
    let message = String(error.body);
    try {
      message = (JSON.parse(String(error.body)) as { message?: string }).message ?? message;
    } catch {
      // the body was not a Status object
    }
    return new Error(`could not ${action}: the API server answered ${error.code}: ${message}`);
  }
  return new Error(`could not ${action}: ${(error as Error).message}`);
}
