/**
 * The cluster's nodes: one system pool (CPU) for the controller, the gateway and the labs, and
 * one EKS managed node group per GPU pool. Every node requires IMDSv2 with a hop limit of 1, so a
 * pod (one network hop away from the node) cannot read the node role's credentials.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, GPU_NODE_TAINT } from "../../charts/names";
import type { GpuPool } from "../../schema/cohort";

/** Node label with the GPU pool's name, e.g. `labkit.dev/gpu-pool: l40s`. */
export const GPU_POOL_LABEL = "labkit.dev/gpu-pool";
/** Node label with the pool's sharing mode; the GPU stack selects its device plugin by it. */
export const GPU_SHARING_LABEL = "labkit.dev/gpu-sharing";
/** Node label of the system pool's nodes: `labkit.dev/pool: system`. */
export const SYSTEM_POOL_LABEL = { key: "labkit.dev/pool", value: "system" } as const;

/** Root volume of a GPU node, GiB: the lab and runner images (CUDA, PyTorch) are large. Default 200. */
export const GPU_NODE_DISK_GIB = 200;
/** Root volume of a system node, GiB. Default 100. */
export const SYSTEM_NODE_DISK_GIB = 100;

/** Managed policies every node role needs to join EKS and pull images. */
export const NODE_ROLE_POLICY_ARNS = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
] as const;

/** Launch template arguments: IMDSv2 only, hop limit 1, an encrypted gp3 root volume, tags on instances and volumes. */
export function nodeLaunchTemplateArgs(diskGiB: number, tags: Record<string, string>): aws.ec2.LaunchTemplateArgs {
  return {
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    },
    blockDeviceMappings: [
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: diskGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      },
    ],
    tagSpecifications: [
      { resourceType: "instance", tags },
      { resourceType: "volume", tags },
    ],
    tags,
  };
}

/** What a node group needs from the rest of the platform. */
export interface NodeGroupWiring {
  readonly clusterName: pulumi.Input<string>;
  readonly nodeRoleArn: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<string[]>;
  readonly launchTemplateId: pulumi.Input<string>;
  readonly tags: Record<string, string>;
}

/** EKS's taint effect spelling for a Kubernetes effect (`NoSchedule` → `NO_SCHEDULE`). */
export function eksTaintEffect(effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule"): string {
  return { NoSchedule: "NO_SCHEDULE", NoExecute: "NO_EXECUTE", PreferNoSchedule: "PREFER_NO_SCHEDULE" }[effect];
}

/**
 * Arguments of one GPU pool's managed node group (pure, unit-tested): NVIDIA AMI, GPU taint and
 * label, `count` nodes while the cohort runs. The minimum is 0 so that scheduled scaling and
 * `labkit scale` can take the pool to zero between sessions (EKS requires a maximum of at least 1).
 */
export function gpuNodeGroupArgs(pool: GpuPool, wiring: NodeGroupWiring): aws.eks.NodeGroupArgs {
  return {
    clusterName: wiring.clusterName,
    nodeRoleArn: wiring.nodeRoleArn,
    subnetIds: wiring.subnetIds,
    amiType: "AL2023_x86_64_NVIDIA",
    instanceTypes: [pool.instanceType],
    capacityType: pool.capacity === "spot" ? "SPOT" : "ON_DEMAND",
    scalingConfig: { minSize: 0, maxSize: pool.count, desiredSize: pool.count },
    launchTemplate: { id: wiring.launchTemplateId, version: "$Latest" },
    labels: {
      [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value,
      [GPU_POOL_LABEL]: pool.name,
      [GPU_SHARING_LABEL]: pool.sharing,
    },
    taints: [{ key: GPU_NODE_TAINT.key, value: GPU_NODE_TAINT.value, effect: eksTaintEffect(GPU_NODE_TAINT.effect) }],
    updateConfig: { maxUnavailable: 1 },
    tags: { ...wiring.tags, "labkit:pool": pool.name },
  };
}

/** Arguments of the system pool's managed node group (pure, unit-tested). */
export function systemNodeGroupArgs(
  instanceType: string,
  count: number,
  wiring: NodeGroupWiring,
): aws.eks.NodeGroupArgs {
  return {
    clusterName: wiring.clusterName,
    nodeRoleArn: wiring.nodeRoleArn,
    subnetIds: wiring.subnetIds,
    amiType: "AL2023_x86_64_STANDARD",
    instanceTypes: [instanceType],
    capacityType: "ON_DEMAND",
    scalingConfig: { minSize: count, maxSize: count, desiredSize: count },
    launchTemplate: { id: wiring.launchTemplateId, version: "$Latest" },
    labels: { [SYSTEM_POOL_LABEL.key]: SYSTEM_POOL_LABEL.value },
    updateConfig: { maxUnavailable: 1 },
    tags: { ...wiring.tags, "labkit:pool": "system" },
  };
}

/** Trust policy of the node role: EC2 instances assume it. */
export function nodeRoleTrustPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
}

export interface NodeGroupsArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** System pool instance type and node count (see catalog `systemNodeCount`). */
  readonly system: { readonly instanceType: string; readonly count: number };
  readonly gpuPools: readonly GpuPool[];
  readonly tags: Record<string, string>;
}

/** The node pools component. */
export class NodeGroups extends pulumi.ComponentResource {
  /** The system (CPU) node group. */
  public readonly systemNodeGroup: aws.eks.NodeGroup;
  /** One managed node group per GPU pool, by pool name (budget.ts and gpu-schedule.ts use their names and ARNs). */
  public readonly gpuNodeGroups: Readonly<Record<string, aws.eks.NodeGroup>>;
  /** The IAM role every node runs as. */
  public readonly nodeRole: aws.iam.Role;

  constructor(name: string, args: NodeGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:NodeGroups", name, {}, opts);
    const created = createNodeGroups(name, args, this);
    this.systemNodeGroup = created.systemNodeGroup;
    this.gpuNodeGroups = created.gpuNodeGroups;
    this.nodeRole = created.nodeRole;
    this.registerOutputs({ systemNodeGroupName: this.systemNodeGroup.nodeGroupName });
  }
}

/** Create the node role, launch templates and node groups as children of `parent`. */
export function createNodeGroups(name: string, args: NodeGroupsArgs, parent: pulumi.Resource) {
  const nodeRole = new aws.iam.Role(
    `${name}-node-role`,
    { assumeRolePolicy: nodeRoleTrustPolicy(), tags: args.tags },
    { parent },
  );
  const attachments = NODE_ROLE_POLICY_ARNS.map(
    (policyArn, index) =>
      new aws.iam.RolePolicyAttachment(`${name}-node-role-${index}`, { role: nodeRole.name, policyArn }, { parent }),
  );
  const systemTemplate = new aws.ec2.LaunchTemplate(
    `${name}-system-lt`,
    nodeLaunchTemplateArgs(SYSTEM_NODE_DISK_GIB, args.tags),
    { parent },
  );
  const gpuTemplate = new aws.ec2.LaunchTemplate(
    `${name}-gpu-lt`,
    nodeLaunchTemplateArgs(GPU_NODE_DISK_GIB, args.tags),
    { parent },
  );
  const wiring = (launchTemplateId: pulumi.Input<string>): NodeGroupWiring => ({
    clusterName: args.clusterName,
    nodeRoleArn: nodeRole.arn,
    subnetIds: args.privateSubnetIds,
    launchTemplateId,
    tags: args.tags,
  });
  const systemNodeGroup = new aws.eks.NodeGroup(
    `${name}-system`,
    systemNodeGroupArgs(args.system.instanceType, args.system.count, wiring(systemTemplate.id)),
    { parent, dependsOn: attachments },
  );
  const gpuNodeGroups: Record<string, aws.eks.NodeGroup> = {};
  for (const pool of args.gpuPools) {
    gpuNodeGroups[pool.name] = new aws.eks.NodeGroup(
      `${name}-gpu-${pool.name}`,
      gpuNodeGroupArgs(pool, wiring(gpuTemplate.id)),
      {
        parent,
        dependsOn: attachments,
        // Scheduled scaling and `labkit scale` move the desired size; a later `pulumi up` must not undo them.
        ignoreChanges: ["scalingConfig.desiredSize"],
      },
    );
  }
  return { nodeRole, systemNodeGroup, gpuNodeGroups };
}
