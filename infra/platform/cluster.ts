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
  /** IAM role (or user) ARN of whoever runs `pulumi up`; EKS gives it admin itself, so it gets no access entry. */
  readonly deployerRoleArn?: string;
}

/**
 * The IAM role behind an STS principal: `arn:aws:sts::A:assumed-role/NAME/SESSION` →
 * `arn:aws:iam::A:role/NAME` (the session ARN carries no role path, so a role with a path is
 * matched by name). IAM role and user ARNs are returned as they are.
 */
export function principalRoleArn(callerArn: string): string {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : callerArn;
}

/** Whether two IAM role ARNs name the same role: equal, or the same account and name with a path on one side. */
export function sameRole(a: string, b: string): boolean {
  const parse = (arn: string) => /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  const [pa, pb] = [parse(a), parse(b)];
  return a === b || (pa !== null && pb !== null && pa[1] === pb[1] && pa[2] === pb[2] && pa[3] === pb[3]);
}

/**
 * Access entries: instructors get the view policy, the platform team cluster admin, both
 * cluster-wide. EKS keeps one access entry per principal and refuses a second
 * (CreateAccessEntry: 409 ResourceInUseException), and it already made one for the principal
 * that creates the cluster (@pulumi/eks sets `bootstrapClusterCreatorAdminPermissions: true`
 * with API authentication). So a role is entered once: never the deployer's role, a role in both
 * lists once with the admin policy, a role listed twice once. Pinned by tests/contracts/eks-access-entries.test.ts.
 */
export function accessEntries(
  access: ClusterArgs["create"]["access"],
  deployerRoleArn?: string,
): NonNullable<eks.ClusterArgs["accessEntries"]> {
  const entries: NonNullable<eks.ClusterArgs["accessEntries"]> = {};
  const entered: string[] = [];
  const enter = (principalArn: string, key: string, policies: Record<string, { policyArn: string }>) => {
    if (deployerRoleArn !== undefined && sameRole(principalArn, deployerRoleArn)) return;
    if (entered.some((arn) => sameRole(arn, principalArn))) return;
    entered.push(principalArn);
    entries[key] = {
      principalArn,
      accessPolicies: Object.fromEntries(
        Object.entries(policies).map(([id, p]) => [id, { policyArn: p.policyArn, accessScope: { type: "cluster" } }]),
      ),
    };
  };
  // Platform roles first: a role in both lists gets admin, which includes the view policy's reads.
  access.platformRoles.forEach((principalArn, index) => {
    enter(principalArn, `platform-${index}`, { admin: { policyArn: PLATFORM_ACCESS_POLICY_ARN } });
  });
  access.instructorRoles.forEach((principalArn, index) => {
    enter(principalArn, `instructor-${index}`, { view: { policyArn: INSTRUCTOR_ACCESS_POLICY_ARN } });
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
    accessEntries: accessEntries(args.create.access, args.deployerRoleArn),
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
