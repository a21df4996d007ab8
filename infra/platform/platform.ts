/**
 * The AWS platform of a cohort that creates its own cluster: network → cluster → node groups →
 * workload addons → storage, identity, GPU stack and gateway. The order of creation is also the
 * reverse order of `pulumi destroy`: everything inside the cluster (load balancer Service,
 * StorageClasses and the claims that use them) goes before the cluster, the cluster before the VPC.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { systemNodeCount } from "../../core/cost/cohort-cost";
import { type Cohort, labsDomainOf } from "../../schema/cohort";
import { COST_ALLOCATION_TAG, clusterNameOf } from "../cost-tags";
import { CohortBudget } from "./budget";
import { Cluster } from "./cluster";
import { createCertificate, createHostRecords } from "./domain";
import { Gateway } from "./gateway";
import { GpuSchedule, managedNodeGroupAsgName } from "./gpu-schedule";
import { GpuStack } from "./gpu-stack";
import { Identity } from "./identity";
import { Network, VPC_CIDR } from "./network";
import { NodeGroups } from "./node-groups";
import { Storage } from "./storage";
import { WorkloadAddons } from "./workload-addons";

export interface PlatformArgs {
  readonly cohort: Cohort;
  /** Cost-allocation tags (see cost-tags.ts). */
  readonly tags: Record<string, string>;
  /** IAM role ARN of whoever runs `pulumi up` (EKS makes its access entry; labkit must not make a second). */
  readonly deployerRoleArn?: string;
}

/** Everything labkit creates on AWS for a new cluster. */
export class Platform extends pulumi.ComponentResource {
  public readonly network: Network;
  public readonly cluster: Cluster;
  public readonly nodeGroups: NodeGroups;
  public readonly workloadAddons: WorkloadAddons;
  public readonly storage: Storage;
  public readonly identity: Identity;
  public readonly gpuStack: GpuStack;
  public readonly gateway: Gateway;
  /** Cost-allocation tags on every resource (budget.ts filters on them). */
  public readonly tags: Record<string, string>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Platform", name, {}, opts);
    const { cohort, tags } = args;
    const create = cohort.cloud.cluster.create;
    if (!create)
      throw new Error("Platform needs `cloud.cluster.create`; an existing cluster uses only the cohort half");
    const clusterName = clusterNameOf(cohort.name);
    this.tags = tags;
    const child = { parent: this };

    this.network = new Network(name, { create, clusterName, tags }, child);
    this.cluster = new Cluster(
      name,
      {
        create,
        clusterName,
        region: cohort.cloud.region,
        vpcId: this.network.vpcId,
        publicSubnetIds: this.network.publicSubnetIds,
        privateSubnetIds: this.network.privateSubnetIds,
        tags,
        deployerRoleArn: args.deployerRoleArn,
      },
      { parent: this, dependsOn: [this.network] },
    );
    this.nodeGroups = new NodeGroups(
      name,
      {
        clusterName: this.cluster.clusterName,
        privateSubnetIds: this.network.privateSubnetIds,
        system: { instanceType: create.systemPool.instanceType, count: systemNodeCount(cohort) },
        gpuPools: cohort.gpuPools,
        tags,
      },
      // Nodes join only once the VPC CNI (with its network policy agent) is in place.
      { parent: this, dependsOn: this.cluster.networkingAddons },
    );
    this.workloadAddons = new WorkloadAddons(
      name,
      { clusterName: this.cluster.clusterName, tags },
      { parent: this, dependsOn: [this.nodeGroups.systemNodeGroup] },
    );
    const provider = this.cluster.kubernetesProvider;
    this.storage = new Storage(
      name,
      {
        cohort,
        tags,
        efs: {
          vpcId: this.network.vpcId,
          vpcCidr: VPC_CIDR,
          privateSubnetIds: this.network.privateSubnetIds,
          subnetCount: create.availabilityZones,
        },
        kubernetes: { provider, dependsOn: [...this.workloadAddons.all, this.nodeGroups.systemNodeGroup] },
      },
      child,
    );
    this.identity = new Identity(
      name,
      {
        cohortName: cohort.name,
        learnerIds: cohort.learners.map((l) => l.id),
        clusterName: this.cluster.clusterName,
        bucketArn: this.storage.bucketArn,
        tags,
      },
      { parent: this, dependsOn: [this.workloadAddons] },
    );
    const inCluster = { parent: this, providers: [provider], dependsOn: [this.nodeGroups.systemNodeGroup] };
    this.gpuStack = new GpuStack(
      name,
      { gpuPools: cohort.gpuPools, kubernetesVersion: create.kubernetesVersion },
      inCluster,
    );
    const certificateArn = cohort.domain ? createCertificate(name, cohort.domain, tags, this) : undefined;
    this.gateway = new Gateway(
      name,
      {
        cohortName: cohort.name,
        domain: cohort.domain
          ? { name: cohort.domain.name, labsDomain: labsDomainOf(cohort.domain), certificateArn }
          : undefined,
        tags,
      },
      inCluster,
    );
    if (cohort.domain) createHostRecords(name, cohort.domain, this.gateway.loadBalancerHostname, this);
    if (cohort.budget) {
      new CohortBudget(
        name,
        {
          cohortName: cohort.name,
          budget: cohort.budget,
          costAllocationTag: { key: COST_ALLOCATION_TAG, value: cohort.name },
          tags,
        },
        child,
      );
    }
    // GPU pools scale to zero outside the schedule's daily window (and after the cohort ends).
    new GpuSchedule(
      name,
      {
        schedule: cohort.schedule,
        pools: cohort.gpuPools.map((pool) => ({
          name: pool.name,
          count: pool.count,
          autoscalingGroupName: managedNodeGroupAsgName(this.nodeGroups.gpuNodeGroups[pool.name]),
        })),
      },
      child,
    );
    this.registerOutputs({ clusterName: this.cluster.clusterName });
  }

  /** The GPU node groups by pool name (for budgets and scheduled scaling). */
  get gpuNodeGroups(): Readonly<Record<string, aws.eks.NodeGroup>> {
    return this.nodeGroups.gpuNodeGroups;
  }
}
