/**
 * EKS managed addons that need running nodes: CoreDNS, and the EBS and EFS CSI drivers, each
 * driver with its own Pod Identity role (AWS's managed driver policies, nothing more).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createPodIdentityRole } from "./pod-identity-role";

/** Service account of the EBS CSI controller in kube-system (fixed by the addon). */
export const EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa";
/** Service account of the EFS CSI controller in kube-system (fixed by the addon). */
export const EFS_CSI_SERVICE_ACCOUNT = "efs-csi-controller-sa";
/** AWS managed policy for the EBS CSI driver. */
export const EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";
/** AWS managed policy for the EFS CSI driver. */
export const EFS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy";

export interface WorkloadAddonsArgs {
  readonly clusterName: pulumi.Input<string>;
  /** Install the EFS CSI driver (the model cache lives on EFS). Default true. */
  readonly efs?: boolean;
  readonly tags: Record<string, string>;
}

/** Arguments of the addons, given the drivers' role ARNs (pure, unit-tested). */
export function workloadAddonArgs(
  clusterName: pulumi.Input<string>,
  roles: { readonly ebs: pulumi.Input<string>; readonly efs?: pulumi.Input<string> },
  tags: Record<string, string>,
) {
  const common = { clusterName, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE", tags };
  return {
    coredns: { ...common, addonName: "coredns" },
    ebsCsi: {
      ...common,
      addonName: "aws-ebs-csi-driver",
      // The node plugin must run on tainted GPU nodes too, or runner Jobs could not mount volumes there.
      configurationValues: JSON.stringify({ node: { tolerateAllTaints: true } }),
      podIdentityAssociations: [{ roleArn: roles.ebs, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }],
    },
    efsCsi:
      roles.efs === undefined
        ? undefined
        : {
            ...common,
            addonName: "aws-efs-csi-driver",
            podIdentityAssociations: [{ roleArn: roles.efs, serviceAccount: EFS_CSI_SERVICE_ACCOUNT }],
          },
  } satisfies Record<string, aws.eks.AddonArgs | undefined>;
}

/** The workload addons component; create it after the system node group. */
export class WorkloadAddons extends pulumi.ComponentResource {
  /** The EBS CSI addon (the gp3 StorageClass depends on it, so volumes are deleted while it runs). */
  public readonly ebsCsi: aws.eks.Addon;
  /** The EFS CSI addon, when installed. */
  public readonly efsCsi?: aws.eks.Addon;
  /** Every addon, to depend on. */
  public readonly all: aws.eks.Addon[];

  constructor(name: string, args: WorkloadAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:WorkloadAddons", name, {}, opts);
    const created = createWorkloadAddons(name, args, this);
    this.ebsCsi = created.ebsCsi;
    this.efsCsi = created.efsCsi;
    this.all = [created.coredns, created.ebsCsi, ...(created.efsCsi ? [created.efsCsi] : [])];
    this.registerOutputs({});
  }
}

/** Create CoreDNS, the CSI drivers and the drivers' roles as children of `parent`. */
export function createWorkloadAddons(name: string, args: WorkloadAddonsArgs, parent: pulumi.Resource) {
  const ebsRole = createPodIdentityRole(
    `${name}-ebs-csi`,
    { managedPolicyArns: [EBS_CSI_POLICY_ARN] },
    args.tags,
    parent,
  );
  const efsRole =
    args.efs === false
      ? undefined
      : createPodIdentityRole(`${name}-efs-csi`, { managedPolicyArns: [EFS_CSI_POLICY_ARN] }, args.tags, parent);
  const addonArgs = workloadAddonArgs(args.clusterName, { ebs: ebsRole.arn, efs: efsRole?.arn }, args.tags);
  const coredns = new aws.eks.Addon(`${name}-coredns`, addonArgs.coredns, { parent });
  const ebsCsi = new aws.eks.Addon(`${name}-ebs-csi`, addonArgs.ebsCsi, { parent });
  const efsCsi = addonArgs.efsCsi ? new aws.eks.Addon(`${name}-efs-csi`, addonArgs.efsCsi, { parent }) : undefined;
  return { coredns, ebsCsi, efsCsi };
}
