/**
 * Who gets AWS access (EKS Pod Identity), and nothing else does: a runner Job may read and write
 * only its own learner's area of the artifact bucket (`cohorts/<cohort>/learners/lab-<learner>/`);
 * the lab-controller may read the whole cohort's prefix (and so presign download URLs) and write
 * only learners' dataset uploads. Learners' labs get no AWS identity at all.
 *
 * Pod Identity associations are per namespace and service account, and runner Jobs run in each
 * learner's namespace, so there is one association per learner (EKS allows 5,000 per cluster).
 * All of them share one runner role: Pod Identity tags each session with the pod's namespace,
 * and the role's policy names the learner's area through that tag, so learner A's runner cannot
 * touch learner B's keys without a role or policy per learner.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  CONTROLLER_SERVICE,
  cohortArtifactPrefix,
  learnerNamespace,
  learnersArtifactPrefix,
  RUNNER_SERVICE_ACCOUNT,
  SYSTEM_NAMESPACE,
} from "../../charts/names";
import {
  createPodIdentityRole,
  POD_IDENTITY_SESSION_TAGS,
  principalTagKey,
  principalTagVariable,
} from "./pod-identity-role";

/** Service account the lab-controller runs as in `labkit-system`. Default: the controller Service's name. */
export const CONTROLLER_SERVICE_ACCOUNT = CONTROLLER_SERVICE.name;

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: ReadonlyArray<{
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource: string | readonly string[];
    readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
  }>;
}

/**
 * The area a runner may use, written with the policy variable IAM fills in from the session's
 * `kubernetes-namespace` tag: `cohorts/<cohort>/learners/${aws:PrincipalTag/kubernetes-namespace}/`.
 * For a Job in `lab-ada` it resolves to `learnerArtifactPrefix(cohort, "ada")`.
 */
export function runnerArtifactPrefixPattern(cohortName: string): string {
  return `${learnersArtifactPrefix(cohortName)}${principalTagVariable(POD_IDENTITY_SESSION_TAGS.namespace)}/`;
}

/**
 * The runner's policy (pure): read and write objects in its own learner's area, list only that
 * area, nothing else. Every statement also requires the session to come from this cluster's
 * `labkit-runner` service account, so the role grants nothing if it is ever associated with
 * another service account or another cluster, or if session tags are turned off.
 */
export function runnerPolicyDocument(bucketArn: string, cohortName: string, clusterName: string): PolicyDocument {
  const own = runnerArtifactPrefixPattern(cohortName);
  const fromRunner = {
    [principalTagKey(POD_IDENTITY_SESSION_TAGS.clusterName)]: clusterName,
    [principalTagKey(POD_IDENTITY_SESSION_TAGS.serviceAccount)]: RUNNER_SERVICE_ACCOUNT,
  };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadWriteOwnLearnerArea",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: `${bucketArn}/${own}*`,
        Condition: { StringEquals: fromRunner },
      },
      {
        Sid: "ListOwnLearnerArea",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringEquals: fromRunner, StringLike: { "s3:prefix": [`${own}*`] } },
      },
    ],
  };
}

/** The controller's policy (pure): read the cohort's prefix; write only learners' dataset uploads (presigned PUTs). */
export function controllerPolicyDocument(bucketArn: string, cohortName: string): PolicyDocument {
  const prefix = cohortArtifactPrefix(cohortName);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadCohortPrefix",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `${bucketArn}/${prefix}*`,
      },
      {
        Sid: "PresignDatasetUploads",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/${learnersArtifactPrefix(cohortName)}${learnerNamespace("*")}/datasets/*`,
      },
      {
        Sid: "ListCohortPrefix",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
      },
    ],
  };
}

export interface IdentityArgs {
  /** Cohort name (its bucket prefix). */
  readonly cohortName: string;
  /** Learner ids: one runner association per learner namespace. */
  readonly learnerIds: readonly string[];
  /** The EKS cluster's name; runner sessions must carry it as their `eks-cluster-name` tag. */
  readonly clusterName: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
  readonly tags: Record<string, string>;
}

/** The identity component. */
export class Identity extends pulumi.ComponentResource {
  /** Service account runner Jobs use in each learner namespace (`labkit-runner`). */
  public readonly runnerServiceAccount = RUNNER_SERVICE_ACCOUNT;
  /** Service account of the lab-controller in `labkit-system`. */
  public readonly controllerServiceAccount = CONTROLLER_SERVICE_ACCOUNT;
  /** Role runner Jobs assume. */
  public readonly runnerRoleArn: pulumi.Output<string>;
  /** Role the controller assumes. */
  public readonly controllerRoleArn: pulumi.Output<string>;
  /** The runner associations, by learner id. */
  public readonly runnerAssociations: Readonly<Record<string, aws.eks.PodIdentityAssociation>>;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Identity", name, {}, opts);
    const created = createIdentity(name, args, this);
    this.runnerRoleArn = created.runnerRole.arn;
    this.controllerRoleArn = created.controllerRole.arn;
    this.runnerAssociations = created.runnerAssociations;
    this.registerOutputs({ runnerRoleArn: this.runnerRoleArn, controllerRoleArn: this.controllerRoleArn });
  }
}

/** Create the roles and Pod Identity associations as children of `parent`. */
export function createIdentity(name: string, args: IdentityArgs, parent: pulumi.Resource) {
  const bucketArn = pulumi.output(args.bucketArn);
  const runnerPolicy = pulumi
    .all([bucketArn, args.clusterName])
    .apply(([arn, cluster]) => JSON.stringify(runnerPolicyDocument(arn, args.cohortName, cluster)));
  const runnerRole = createPodIdentityRole(`${name}-runner`, { inlinePolicy: runnerPolicy }, args.tags, parent);
  const controllerRole = createPodIdentityRole(
    `${name}-controller`,
    { inlinePolicy: bucketArn.apply((arn) => JSON.stringify(controllerPolicyDocument(arn, args.cohortName))) },
    args.tags,
    parent,
  );
  new aws.eks.PodIdentityAssociation(
    `${name}-controller`,
    {
      clusterName: args.clusterName,
      namespace: SYSTEM_NAMESPACE,
      serviceAccount: CONTROLLER_SERVICE_ACCOUNT,
      roleArn: controllerRole.arn,
      tags: args.tags,
    },
    { parent },
  );
  const runnerAssociations: Record<string, aws.eks.PodIdentityAssociation> = {};
  for (const learnerId of args.learnerIds) {
    runnerAssociations[learnerId] = new aws.eks.PodIdentityAssociation(
      `${name}-runner-${learnerId}`,
      {
        clusterName: args.clusterName,
        namespace: learnerNamespace(learnerId),
        serviceAccount: RUNNER_SERVICE_ACCOUNT,
        roleArn: runnerRole.arn,
        // The runner policy names the learner's area through these tags; without them it grants nothing.
        disableSessionTags: false,
        tags: args.tags,
      },
      { parent },
    );
  }
  return { runnerRole, controllerRole, runnerAssociations };
}
