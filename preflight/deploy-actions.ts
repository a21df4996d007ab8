/**
 * The IAM actions `pulumi up` of a new-cluster cohort calls, one per kind of resource the labkit
 * program creates (infra/), so a missing one shows up before the deploy rather than half-way.
 * Not every action of every resource: the first one each resource needs, which is where a
 * deny usually bites.
 */

/** One action the deploy needs, and what for. */
export interface DeployAction {
  /** IAM action name, e.g. `eks:CreateCluster`. */
  readonly action: string;
  /** What the program creates with it. */
  readonly purpose: string;
}

export const DEPLOY_ACTIONS: readonly DeployAction[] = [
  { action: "eks:CreateCluster", purpose: "the EKS cluster" },
  { action: "eks:CreateNodegroup", purpose: "the system and GPU node groups" },
  { action: "eks:CreateAccessEntry", purpose: "instructor and platform access" },
  { action: "eks:AssociateAccessPolicy", purpose: "instructor and platform access" },
  { action: "eks:CreateAddon", purpose: "the EKS add-ons (VPC CNI, CoreDNS, EFS CSI, …)" },
  { action: "eks:CreatePodIdentityAssociation", purpose: "the controller's and runners' AWS roles" },
  { action: "ec2:CreateVpc", purpose: "the cohort's VPC" },
  { action: "ec2:CreateSubnet", purpose: "the VPC's subnets" },
  { action: "ec2:CreateNatGateway", purpose: "the NAT gateway(s)" },
  { action: "ec2:AllocateAddress", purpose: "the NAT gateways' Elastic IPs" },
  { action: "ec2:CreateSecurityGroup", purpose: "the EFS security group" },
  { action: "ec2:CreateLaunchTemplate", purpose: "the node groups' launch templates" },
  { action: "ec2:RunInstances", purpose: "the nodes" },
  { action: "iam:CreateRole", purpose: "the cluster, node and pod roles" },
  { action: "iam:AttachRolePolicy", purpose: "the cluster, node and pod roles" },
  { action: "iam:PassRole", purpose: "handing the roles to EKS" },
  { action: "iam:CreateOpenIDConnectProvider", purpose: "the cluster's OIDC provider" },
  { action: "elasticfilesystem:CreateFileSystem", purpose: "the shared EFS volume" },
  { action: "elasticfilesystem:CreateMountTarget", purpose: "the shared EFS volume" },
  { action: "s3:CreateBucket", purpose: "the artifact bucket" },
  { action: "ecr:CreateRepository", purpose: "the image repositories" },
  { action: "acm:RequestCertificate", purpose: "the TLS certificate" },
  { action: "route53:ChangeResourceRecordSets", purpose: "DNS records and certificate validation" },
  { action: "budgets:ModifyBudget", purpose: "the cohort's budget alerts" },
  { action: "autoscaling:PutScheduledUpdateGroupAction", purpose: "scaling GPU pools to the daily window" },
];
