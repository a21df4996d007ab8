/**
 * Existing-cluster mode: the cohort deploys only its Kubernetes half (and its own bucket and Pod
 * Identity) into a cluster someone else keeps, named by a kubeconfig context or by the outputs of
 * a long-lived labkit platform stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_NAMESPACE } from "../charts/names";
import type { Cohort } from "../schema/cohort";
import { GATEWAY_NAME } from "./platform/gateway";

type Existing = NonNullable<Cohort["cloud"]["cluster"]["existing"]>;

/** The EKS cluster name in a context named like an EKS ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`), else undefined. */
export function clusterNameFromContext(context: string): string | undefined {
  const match = /^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster\/(.+)$/.exec(context);
  return match?.[1];
}

/** Throws, for people, when an existing kubeconfig-context cluster cannot be named (Pod Identity needs its name). */
export function checkExistingClusterSettings(
  cohort: Pick<Cohort, "cloud">,
  configuredClusterName: string | undefined,
): void {
  const context = cohort.cloud.cluster.existing?.kubeconfigContext;
  if (context === undefined || configuredClusterName !== undefined || clusterNameFromContext(context) !== undefined)
    return;
  throw new Error(
    `cloud.cluster.existing.kubeconfigContext \`${context}\` does not name an EKS cluster ARN, so labkit cannot tell which cluster the Pod Identity associations belong to: run \`pulumi config set labkit:clusterName <EKS cluster name>\``,
  );
}

/** `http://<load balancer>` of the labkit gateway a platform stack created in the cluster (read, not created). */
export function existingLoadBalancerBaseUrl(name: string, provider: k8s.Provider): pulumi.Output<string> {
  const service = k8s.core.v1.Service.get(`${name}-gateway-lb`, `${GATEWAY_NAMESPACE}/${GATEWAY_NAME}-lb`, {
    provider,
  });
  return service.status.loadBalancer.ingress.apply((ingress) => `http://${ingress?.[0]?.hostname ?? ""}`);
}

/** What the cohort half needs from an existing cluster. */
export interface ExistingCluster {
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig?: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  /** The platform stack's base URL (`https://...` or `http://<load balancer>`), when it exports one. */
  readonly baseUrl?: pulumi.Output<string>;
  /** The platform stack's model cache file system, when it exports one. */
  readonly modelCacheFileSystemId?: pulumi.Output<string | undefined>;
}

/**
 * Connect to an existing cluster. `configuredClusterName` (stack config `labkit:clusterName`) is
 * needed for a kubeconfig context that is not an EKS ARN, because Pod Identity names the cluster.
 */
export function connectExistingCluster(
  name: string,
  existing: Existing,
  configuredClusterName: string | undefined,
): ExistingCluster {
  if (existing.stackReference !== undefined) {
    const platform = new pulumi.StackReference(`${name}-platform`, { name: existing.stackReference });
    const kubeconfig = pulumi.secret(platform.requireOutput("kubeconfig").apply(String));
    return {
      clusterName: platform.requireOutput("clusterName").apply(String),
      kubeconfig,
      provider: new k8s.Provider(`${name}-k8s`, { kubeconfig, enableServerSideApply: true }),
      baseUrl: platform.getOutput("baseUrl").apply((v) => (v === undefined ? "" : String(v))),
      modelCacheFileSystemId: platform
        .getOutput("modelCacheFileSystemId")
        .apply((v) => (v === undefined ? undefined : String(v))),
    };
  }
  const context = existing.kubeconfigContext as string;
  checkExistingClusterSettings({ cloud: { cluster: { existing } } } as Pick<Cohort, "cloud">, configuredClusterName);
  const clusterName = configuredClusterName ?? (clusterNameFromContext(context) as string);
  return {
    clusterName: pulumi.output(clusterName),
    provider: new k8s.Provider(`${name}-k8s`, { context, enableServerSideApply: true }),
  };
}
