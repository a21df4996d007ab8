/**
 * `labkit destroy-check`'s judgement: given what the cluster holds (LoadBalancer Services, PVCs
 * and their volumes), what the stack holds (its resources and their dependencies), the VPC's
 * network interfaces and the bucket's fate, say what `pulumi destroy` would leave behind and
 * whether the dependency graph already deletes each thing before the cluster. Pure functions.
 */

/** A Service of type LoadBalancer: AWS made a load balancer for it. */
export interface LoadBalancerService {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The load balancer's DNS name, once it exists. */
  readonly hostname?: string;
}

/** A PVC and the PV bound to it (either may be missing). */
export interface ClaimedVolume {
  readonly namespace?: string;
  readonly claim?: string;
  /** PV name. */
  readonly volume?: string;
  /** `Delete`: the CSI driver deletes the cloud volume when the claim goes; `Retain`: it stays. */
  readonly reclaimPolicy?: string;
  /** The cloud volume: an EBS volume id or an EFS `fs-…::fsap-…` handle. */
  readonly volumeHandle?: string;
  /** CSI driver, e.g. `ebs.csi.aws.com`. */
  readonly driver?: string;
}

/** One resource of the stack's state (`pulumi stack export`), reduced to what ordering needs. */
export interface StackResource {
  readonly urn: string;
  readonly type: string;
  /** URNs this resource depends on (its delete happens before theirs). */
  readonly dependencies: readonly string[];
  readonly parent?: string;
  /** Provider reference `urn::id`. */
  readonly provider?: string;
  /** For Kubernetes objects: where it lives in the cluster. */
  readonly kubernetes?: { readonly kind: string; readonly namespace?: string; readonly name: string };
  /** For an EKS addon: its name, e.g. `aws-ebs-csi-driver`. */
  readonly addonName?: string;
}

/** An elastic network interface in the cohort's VPC. */
export interface NetworkInterfaceInfo {
  readonly id: string;
  /** `available` (attached to nothing), `in-use`, … */
  readonly status: string;
  readonly description: string;
}

/** The VPC's network interfaces, or why they could not be listed. */
export type NetworkInterfaceCheck =
  | { readonly checked: true; readonly interfaces: readonly NetworkInterfaceInfo[] }
  | { readonly checked: false; readonly reason: string };

export interface OrphanCheckInput {
  readonly services: readonly LoadBalancerService[];
  readonly volumes: readonly ClaimedVolume[];
  /** The stack's resources; undefined when the stack could not be read. */
  readonly stack?: readonly StackResource[];
  readonly networkInterfaces: NetworkInterfaceCheck;
  /** The artifact bucket and what the cohort says happens to it on destroy. */
  readonly bucket?: { readonly name: string; readonly onDestroy: "keep" | "purge" };
}

/** What `pulumi destroy` does with one thing. */
export type Outcome =
  /** The dependency graph deletes it before the cluster (or the node or load balancer that owns it). */
  | "deleted-first"
  /** It would survive the destroy and keep costing money (or block deleting the VPC). */
  | "orphaned"
  /** Deliberately kept (the artifact bucket with `onDestroy: keep`). */
  | "kept"
  /** Could not be checked; the reason says why. */
  | "not-checked";

export interface Finding {
  readonly kind: "load balancer" | "volume" | "network interface" | "bucket" | "ordering";
  /** What it is, e.g. `Service labkit-gateway/envoy (a1b2.elb.amazonaws.com)`. */
  readonly subject: string;
  readonly outcome: Outcome;
  /** Why, in a sentence. */
  readonly detail: string;
  /** What to do before `pulumi destroy`, for orphans. */
  readonly fix?: string;
}

/** Resource types that are the cluster and the network, in the state of an @pulumi/eks + awsx stack. */
export const EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster";
export const VPC_TYPE = "aws:ec2/vpc:Vpc";

/** Envoy Gateway labels the Service it makes for a Gateway with the Gateway's name and namespace. */
const OWNING_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name";
const OWNING_GATEWAY_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace";

/** CSI drivers and the EKS addons that run them: a claim must be deleted while its driver still runs. */
const CSI_DRIVER_ADDONS: Readonly<Record<string, string>> = {
  "ebs.csi.aws.com": "aws-ebs-csi-driver",
  "efs.csi.aws.com": "aws-efs-csi-driver",
};

/** The stack's dependency graph: a resource's edges are its dependencies, its parent and its provider. */
export class StackGraph {
  private readonly byUrn: Map<string, StackResource>;

  constructor(readonly resources: readonly StackResource[]) {
    this.byUrn = new Map(resources.map((r) => [r.urn, r]));
  }

  /** The Kubernetes object of `kind` at `namespace/name` in the stack, if any. */
  findKubernetes(kind: string, namespace: string | undefined, name: string): StackResource | undefined {
    return this.resources.find(
      (r) =>
        r.kubernetes?.kind === kind &&
        r.kubernetes.name === name &&
        (r.kubernetes.namespace ?? undefined) === (namespace || undefined),
    );
  }

  /** True when deleting `from` must wait for nothing of `predicate`, i.e. `from` reaches such a resource through its edges. */
  reaches(from: StackResource, predicate: (r: StackResource) => boolean): boolean {
    const seen = new Set<string>();
    const queue = [from.urn];
    while (queue.length > 0) {
      const urn = queue.shift()!;
      if (seen.has(urn)) continue;
      seen.add(urn);
      const resource = this.byUrn.get(urn);
      if (!resource) continue;
      if (resource !== from && predicate(resource)) return true;
      queue.push(...resource.dependencies);
      if (resource.parent) queue.push(resource.parent);
      if (resource.provider) queue.push(resource.provider.split("::").slice(0, -1).join("::"));
    }
    return false;
  }
}

const isCluster = (r: StackResource) => r.type === EKS_CLUSTER_TYPE;

/** Every finding for the input, orphans first. */
export function checkOrphans(input: OrphanCheckInput): Finding[] {
  const graph = input.stack ? new StackGraph(input.stack) : undefined;
  const findings: Finding[] = [];

  for (const service of input.services) {
    const subject = `Service ${service.namespace}/${service.name}${service.hostname ? ` (${service.hostname})` : ""}`;
    const fix = `delete it first (\`kubectl delete service -n ${service.namespace} ${service.name}\`); its load balancer goes with it`;
    if (!graph) {
      findings.push({ kind: "load balancer", subject, outcome: "not-checked", detail: "the stack could not be read" });
      continue;
    }
    const inStack = graph.findKubernetes("Service", service.namespace, service.name);
    const gatewayName = service.labels[OWNING_GATEWAY_NAME];
    const owner =
      gatewayName !== undefined
        ? graph.findKubernetes("Gateway", service.labels[OWNING_GATEWAY_NAMESPACE], gatewayName)
        : undefined;
    const managed = inStack ?? owner;
    if (!managed) {
      findings.push({
        kind: "load balancer",
        subject,
        outcome: "orphaned",
        detail:
          "not in the stack: pulumi destroy does not know it, and deleting the cluster leaves its load balancer behind",
        fix,
      });
    } else if (graph.reaches(managed, isCluster)) {
      findings.push({
        kind: "load balancer",
        subject,
        outcome: "deleted-first",
        detail: inStack
          ? "in the stack and depends on the cluster: deleted (with its load balancer) before the cluster"
          : `made by Envoy Gateway for Gateway ${owner?.kubernetes?.namespace}/${gatewayName}, which is in the stack and depends on the cluster`,
      });
    } else {
      findings.push({
        kind: "load balancer",
        subject,
        outcome: "orphaned",
        detail: "in the stack, but nothing orders its deletion before the cluster's",
        fix: `make it depend on the cluster's Kubernetes provider, or ${fix}`,
      });
    }
  }

  for (const volume of input.volumes) {
    if (!volume.volumeHandle) continue;
    const subject = `${volume.claim ? `PVC ${volume.namespace}/${volume.claim}` : "PV without a claim"} → ${volume.volume} (${volume.volumeHandle})`;
    if (volume.reclaimPolicy === "Retain") {
      findings.push({
        kind: "volume",
        subject,
        outcome: "orphaned",
        detail: "reclaim policy Retain: the cloud volume outlives its claim and the cluster",
        fix: `export what you need, then delete the volume (${volume.volumeHandle.startsWith("vol-") ? `\`aws ec2 delete-volume --volume-id ${volume.volumeHandle}\`` : "in the EFS console"})`,
      });
      continue;
    }
    if (!graph) {
      findings.push({ kind: "volume", subject, outcome: "not-checked", detail: "the stack could not be read" });
      continue;
    }
    const claim =
      volume.claim !== undefined
        ? (graph.findKubernetes("PersistentVolumeClaim", volume.namespace, volume.claim) ??
          graph.findKubernetes("Namespace", undefined, volume.namespace ?? ""))
        : undefined;
    const fix = volume.claim
      ? `delete the claim first (\`kubectl delete pvc -n ${volume.namespace} ${volume.claim}\`, or \`labkit reset\` for learner namespaces)`
      : `delete the PV first (\`kubectl delete pv ${volume.volume}\`)`;
    if (!claim) {
      findings.push({
        kind: "volume",
        subject,
        outcome: "orphaned",
        detail: "its claim (and namespace) is not in the stack: the cluster goes and the volume stays",
        fix,
      });
      continue;
    }
    const addon = volume.driver ? CSI_DRIVER_ADDONS[volume.driver] : undefined;
    const addonInStack = addon !== undefined && graph.resources.some((r) => r.addonName === addon);
    const ordered = addonInStack ? graph.reaches(claim, (r) => r.addonName === addon) : graph.reaches(claim, isCluster);
    findings.push(
      ordered
        ? {
            kind: "volume",
            subject,
            outcome: "deleted-first",
            detail: addonInStack
              ? `its claim is in the stack and is deleted before the ${addon} addon, which deletes the volume`
              : "its claim is in the stack and is deleted before the cluster; the CSI driver deletes the volume",
          }
        : {
            kind: "volume",
            subject,
            outcome: "orphaned",
            detail: addonInStack
              ? `its claim is in the stack but may be deleted after the ${addon} addon, and then nothing deletes the volume`
              : "its claim is in the stack but nothing orders its deletion before the cluster's",
            fix,
          },
    );
  }

  if (input.networkInterfaces.checked) {
    const left = input.networkInterfaces.interfaces.filter((eni) => eni.status === "available");
    for (const eni of left) {
      findings.push({
        kind: "network interface",
        subject: `${eni.id}${eni.description ? ` (${eni.description})` : ""}`,
        outcome: "orphaned",
        detail:
          "attached to nothing: left by the VPC CNI or a deleted load balancer; it keeps the subnets and the VPC from being deleted",
        fix: `\`aws ec2 delete-network-interface --network-interface-id ${eni.id}\``,
      });
    }
    const inUse = input.networkInterfaces.interfaces.length - left.length;
    if (inUse > 0) {
      findings.push({
        kind: "network interface",
        subject: `${inUse} attached network interface${inUse === 1 ? "" : "s"}`,
        outcome: "deleted-first",
        detail: "attached to nodes or load balancers: deleted with them",
      });
    }
  } else {
    findings.push({
      kind: "network interface",
      subject: "network interfaces in the VPC",
      outcome: "not-checked",
      detail: input.networkInterfaces.reason,
    });
  }

  if (input.bucket) {
    findings.push(
      input.bucket.onDestroy === "keep"
        ? {
            kind: "bucket",
            subject: `s3://${input.bucket.name}`,
            outcome: "kept",
            detail:
              "artifacts.onDestroy is `keep`: Pulumi forgets the bucket and it stays, with every adapter and result",
          }
        : {
            kind: "bucket",
            subject: `s3://${input.bucket.name}`,
            outcome: "deleted-first",
            detail: "artifacts.onDestroy is `purge`: the bucket is emptied and deleted; run `labkit export` first",
          },
    );
  }

  if (graph) {
    const clusters = graph.resources.filter(isCluster);
    for (const cluster of clusters) {
      const ordered = graph.reaches(cluster, (r) => r.type === VPC_TYPE);
      findings.push({
        kind: "ordering",
        subject: `cluster ${cluster.urn.split("::").at(-1)}`,
        outcome: ordered ? "deleted-first" : "orphaned",
        detail: ordered
          ? "depends on the VPC: deleted before the VPC and its subnets"
          : "does not depend on a VPC in this stack: destroy may try to delete the network while the cluster still uses it",
      });
    }
  }

  const rank: Record<Outcome, number> = { orphaned: 0, "not-checked": 1, kept: 2, "deleted-first": 3 };
  return findings.sort((a, b) => rank[a.outcome] - rank[b.outcome]);
}
