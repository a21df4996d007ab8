/**
 * The EKS cluster: API authentication with access entries, an OIDC provider, a private endpoint
 * on request, and the networking addons every node needs before it joins (VPC CNI with
 * NetworkPolicy enforcement on, kube-proxy, the Pod Identity agent), as EKS managed addons.
 */
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cohort } from "../../schema/cohort";
import { buildKubeconfig } from "./kubeconfig";

/** EKS access policy for instructors: read everything but Secrets, cluster-wide. */
export const INSTRUCTOR_ACCESS_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
/** EKS access policy for the platform team: cluster admin. */
export const PLATFORM_ACCESS_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/**
 * VPC CNI configuration (the addon's `describe-addon-configuration` schema): the network policy
 * agent enforces NetworkPolicy; without it every learner could reach every other learner.
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true", nodeAgent: { enablePolicyEventLogs: "false" } };

export interface ClusterArgs {
  /** The cohort's `cloud.cluster.create` settings. */
  readonly create: NonNullable<Cohort["cloud"]["cluster"]["create"]>;
  /** EKS cluster name (fixed, so subnets and Pod Identity can name it before it exists). */
  readonly clusterName: string;
  /** AWS region, for the kubeconfig. */
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: pulumi.Input<string[]>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Cost-allocation tags for every resource. */
  readonly tags: Record<string, string>;
}

/** Access entries: instructors get the view policy, the platform team cluster admin, both cluster-wide. */
export function accessEntries(access: ClusterArgs["create"]["access"]): NonNullable<eks.ClusterArgs["accessEntries"]> {
  const entries: NonNullable<eks.ClusterArgs["accessEntries"]> = {};
  access.instructorRoles.forEach((principalArn, index) => {
    entries[`instructor-${index}`] = {
      principalArn,
      accessPolicies: { view: { policyArn: INSTRUCTOR_ACCESS_POLICY_ARN, accessScope: { type: "cluster" } } },
    };
  });
  access.platformRoles.forEach((principalArn, index) => {
    entries[`platform-${index}`] = {
      principalArn,
      accessPolicies: { admin: { policyArn: PLATFORM_ACCESS_POLICY_ARN, accessScope: { type: "cluster" } } },
    };
  });
  return entries;
}

/** The arguments labkit passes to @pulumi/eks's Cluster (pure, unit-tested). */
export function clusterArgs(args: ClusterArgs): eks.ClusterArgs {
  return {
    name: args.clusterName,
    version: args.create.kubernetesVersion,
    vpcId: args.vpcId,
    publicSubnetIds: args.publicSubnetIds,
    privateSubnetIds: args.privateSubnetIds,
    nodeAssociatePublicIpAddress: false,
    skipDefaultNodeGroup: true,
    authenticationMode: "API",
    accessEntries: accessEntries(args.create.access),
    createOidcProvider: true,
    endpointPrivateAccess: true,
    endpointPublicAccess: !args.create.privateEndpoint,
    deletionProtection: args.create.deletionProtection,
    enabledClusterLogTypes: ["api", "audit", "authenticator"],
    // labkit installs vpc-cni, kube-proxy and CoreDNS itself as EKS managed addons (below and in
    // workload-addons.ts), so their configuration is visible and testable here.
    useDefaultVpcCni: true,
    kubeProxyAddonOptions: { enabled: false },
    corednsAddonOptions: { enabled: false },
    tags: args.tags,
  };
}

/** The managed addon that must run before any node joins, with labkit's configuration. */
export function networkingAddonArgs(clusterName: pulumi.Input<string>, tags: Record<string, string>) {
  const common = { clusterName, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", tags };
  return {
    vpcCni: { ...common, addonName: "vpc-cni", configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION) },
    kubeProxy: { ...common, addonName: "kube-proxy" },
    podIdentityAgent: { ...common, addonName: "eks-pod-identity-agent" },
  } satisfies Record<string, aws.eks.AddonArgs>;
}

/** The cluster component. */
export class Cluster extends pulumi.ComponentResource {
  /** EKS cluster name. */
  public readonly clusterName: pulumi.Output<string>;
  /** Kubeconfig as JSON text, secret (it names the cluster's endpoint). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** ARN of the cluster's IAM OIDC provider. */
  public readonly oidcProviderArn: pulumi.Output<string>;
  /** The Kubernetes provider every in-cluster resource uses. */
  public readonly kubernetesProvider: k8s.Provider;
  /** The @pulumi/eks cluster. */
  public readonly eksCluster: eks.Cluster;
  /** Managed addons nodes need before they join: depend on these from node groups. */
  public readonly networkingAddons: aws.eks.Addon[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Cluster", name, {}, opts);
    const created = createCluster(name, args, this);
    this.eksCluster = created.eksCluster;
    this.clusterName = created.clusterName;
    this.kubeconfig = created.kubeconfig;
    this.oidcProviderArn = created.eksCluster.oidcProviderArn;
    this.kubernetesProvider = created.kubernetesProvider;
    this.networkingAddons = created.networkingAddons;
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}

/** Create the cluster, its networking addons and its Kubernetes provider as children of `parent`. */
export function createCluster(name: string, args: ClusterArgs, parent: pulumi.Resource) {
  const eksCluster = new eks.Cluster(`${name}-eks`, clusterArgs(args), { parent });
  const core = pulumi.output(eksCluster.eksCluster);
  // Depending on the endpoint makes everything that uses the name wait for the cluster.
  const clusterName = pulumi.all([core.apply((c) => c.endpoint)]).apply(() => args.clusterName);
  const kubeconfig = pulumi.secret(
    pulumi
      .all([core.apply((c) => c.endpoint), core.apply((c) => c.certificateAuthority.data)])
      .apply(([endpoint, certificateAuthorityData]) =>
        JSON.stringify(
          buildKubeconfig({ clusterName: args.clusterName, endpoint, certificateAuthorityData, region: args.region }),
        ),
      ),
  );
  const addonArgs = networkingAddonArgs(clusterName, args.tags);
  const networkingAddons = [
    new aws.eks.Addon(`${name}-vpc-cni`, addonArgs.vpcCni, { parent }),
    new aws.eks.Addon(`${name}-kube-proxy`, addonArgs.kubeProxy, { parent }),
    new aws.eks.Addon(`${name}-pod-identity-agent`, addonArgs.podIdentityAgent, { parent }),
  ];
  const kubernetesProvider = new k8s.Provider(
    `${name}-k8s`,
    { kubeconfig, enableServerSideApply: true },
    { parent, dependsOn: networkingAddons },
  );
  return { eksCluster, clusterName, kubeconfig, kubernetesProvider, networkingAddons };
}
