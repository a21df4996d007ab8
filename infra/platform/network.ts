/**
 * The cohort's VPC: public subnets for the load balancer, private subnets for every node, across
 * at least two availability zones, with one NAT gateway or one per zone as the cohort chooses.
 */
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { Cohort } from "../../schema/cohort";

/** The VPC's address range; private subnets get /19 (8,187 pod and node addresses each, VPC CNI gives pods VPC IPs). */
export const VPC_CIDR = "10.0.0.0/16";

export interface NetworkArgs {
  /** The cohort's `cloud.cluster.create` settings (zones, NAT strategy). */
  readonly create: NonNullable<Cohort["cloud"]["cluster"]["create"]>;
  /** EKS cluster name the subnets are tagged for (`kubernetes.io/cluster/<name>`). */
  readonly clusterName: string;
  /** Cost-allocation tags for every resource. */
  readonly tags: Record<string, string>;
}

/** The arguments labkit passes to awsx's Vpc (pure, unit-tested). */
export function vpcArgs(args: NetworkArgs): awsx.ec2.VpcArgs {
  const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };
  return {
    cidrBlock: VPC_CIDR,
    numberOfAvailabilityZones: args.create.availabilityZones,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    natGateways: { strategy: args.create.natGateways === "perAz" ? "OnePerAz" : "Single" },
    subnetStrategy: "Auto",
    subnetSpecs: [
      // Internet-facing load balancers go in subnets tagged kubernetes.io/role/elb.
      { type: "Public", cidrMask: 22, tags: { ...args.tags, ...clusterTag, "kubernetes.io/role/elb": "1" } },
      { type: "Private", cidrMask: 19, tags: { ...args.tags, ...clusterTag, "kubernetes.io/role/internal-elb": "1" } },
    ],
    tags: args.tags,
  };
}

/** The VPC component: an awsx Vpc with labkit's layout. */
export class Network extends pulumi.ComponentResource {
  /** VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** Private subnets, one per availability zone; every node lives here. */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Public subnets, one per availability zone; the load balancer lives here. */
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** The awsx Vpc, so the cluster can depend on it (and be deleted before it). */
  public readonly vpc: awsx.ec2.Vpc;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Network", name, {}, opts);
    this.vpc = createNetwork(name, args, this);
    this.vpcId = this.vpc.vpcId;
    this.privateSubnetIds = this.vpc.privateSubnetIds;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
  }
}

/** Create the VPC as a child of `parent`. */
export function createNetwork(name: string, args: NetworkArgs, parent: pulumi.Resource): awsx.ec2.Vpc {
  return new awsx.ec2.Vpc(`${name}-vpc`, vpcArgs(args), { parent });
}
