/**
 * The cluster as `labkit reset` and `labkit destroy-check` see it, through
 * @kubernetes/client-node: namespaces, run Jobs, LoadBalancer Services, PVCs and PVs.
 */
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  KubeConfig as KubeConfigClass,
} from "@kubernetes/client-node";
import { LABELS } from "../charts/names";
import type { ClaimedVolume, LoadBalancerService } from "./orphan-check";
import type { JobInfo, NamespaceInfo, ResetKube } from "./reset-cluster";

/** True for a Kubernetes API 404. */
function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** Reads and deletes what teardown needs, with the credentials of a kubeconfig context. */
export class KubeTeardownClient implements ResetKube {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
  }

  async listNamespaces(): Promise<NamespaceInfo[]> {
    const list = await this.core.listNamespace();
    return list.items.map((n) => ({ name: n.metadata?.name ?? "", labels: n.metadata?.labels ?? {} }));
  }

  async listRunJobs(): Promise<JobInfo[]> {
    const list = await this.batch.listJobForAllNamespaces({ labelSelector: LABELS.runId });
    return list.items.map((job) => ({
      namespace: job.metadata?.namespace ?? "",
      name: job.metadata?.name ?? "",
      labels: job.metadata?.labels ?? {},
      activePods: job.status?.active ?? 0,
      finished:
        job.status?.completionTime !== undefined ||
        (job.status?.conditions ?? []).some(
          (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
        ),
    }));
  }

  async deleteNamespace(name: string): Promise<void> {
    try {
      await this.core.deleteNamespace({ name, propagationPolicy: "Background" });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async namespaceExists(name: string): Promise<boolean> {
    try {
      await this.core.readNamespace({ name });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Every Service of type LoadBalancer, with the load balancer's host name once AWS made one. */
  async listLoadBalancerServices(): Promise<LoadBalancerService[]> {
    const list = await this.core.listServiceForAllNamespaces();
    return list.items
      .filter((s) => s.spec?.type === "LoadBalancer")
      .map((s) => ({
        namespace: s.metadata?.namespace ?? "",
        name: s.metadata?.name ?? "",
        labels: s.metadata?.labels ?? {},
        hostname: s.status?.loadBalancer?.ingress?.[0]?.hostname ?? s.status?.loadBalancer?.ingress?.[0]?.ip,
      }));
  }

  /**
   * Every PVC with its PV: reclaim policy and the cloud volume behind it (EBS volume id or EFS
   * access point). PVs are listed too, so volumes whose claims are gone still show up.
   */
  async listClaimedVolumes(): Promise<ClaimedVolume[]> {
    const [claims, volumes] = await Promise.all([
      this.core.listPersistentVolumeClaimForAllNamespaces(),
      this.core.listPersistentVolume(),
    ]);
    const byName = new Map(volumes.items.map((pv) => [pv.metadata?.name ?? "", pv]));
    const seen = new Set<string>();
    const result: ClaimedVolume[] = claims.items.map((claim) => {
      const volumeName = claim.spec?.volumeName;
      const pv = volumeName ? byName.get(volumeName) : undefined;
      if (volumeName) seen.add(volumeName);
      return {
        namespace: claim.metadata?.namespace ?? "",
        claim: claim.metadata?.name ?? "",
        volume: volumeName,
        reclaimPolicy: pv?.spec?.persistentVolumeReclaimPolicy,
        volumeHandle: pv?.spec?.csi?.volumeHandle ?? pv?.spec?.awsElasticBlockStore?.volumeID,
        driver: pv?.spec?.csi?.driver,
      };
    });
    for (const pv of volumes.items) {
      const name = pv.metadata?.name ?? "";
      if (seen.has(name)) continue;
      result.push({
        namespace: pv.spec?.claimRef?.namespace,
        claim: pv.spec?.claimRef?.name,
        volume: name,
        reclaimPolicy: pv.spec?.persistentVolumeReclaimPolicy,
        volumeHandle: pv.spec?.csi?.volumeHandle ?? pv.spec?.awsElasticBlockStore?.volumeID,
        driver: pv.spec?.csi?.driver,
      });
    }
    return result;
  }
}

/** A KubeConfig from `--kubeconfig` (default: KUBECONFIG or ~/.kube/config) and `--context` (default: the current one). */
export function loadKubeConfig(flags: { kubeconfig?: string; context?: string }): KubeConfig {
  const kubeConfig = new KubeConfigClass();
  if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault();
  if (flags.context) {
    if (!kubeConfig.getContextObject(flags.context)) {
      const known = kubeConfig.getContexts().map((c) => c.name);
      throw new KubeContextError(
        `no context \`${flags.context}\` in the kubeconfig; use one of ${known.length > 0 ? known.join(", ") : "(none: run `aws eks update-kubeconfig --name <cluster>` first)"}`,
      );
    }
    kubeConfig.setCurrentContext(flags.context);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new KubeContextError(
      "no cluster in the kubeconfig: run `aws eks update-kubeconfig --name <cluster>`, or pass --kubeconfig FILE / --context NAME",
    );
  }
  return kubeConfig;
}

/** The kubeconfig or context named on the command line is not usable (bad input). */
export class KubeContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeContextError";
  }
}
