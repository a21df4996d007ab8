/**
 * Storage: the cohort's S3 artifact bucket (versioned, encrypted, private, with a lifecycle rule,
 * kept on `pulumi destroy` unless the cohort says `purge`), the EFS file system of the shared
 * model cache, and the cluster's StorageClasses (gp3 as the default, EFS for the model cache).
 * Why EFS and not node-local disks for the model cache: see docs/deploy.md.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cohort } from "../../schema/cohort";

/** Name of the default StorageClass (EBS gp3, encrypted): lab homes and the controller's SQLite volume. */
export const GP3_STORAGE_CLASS = "gp3";
/** Name of the model cache's StorageClass (EFS access points), for dynamically provisioned shared volumes. */
export const MODEL_CACHE_STORAGE_CLASS = "labkit-model-cache";
/** Directory of the shared model cache on the EFS file system: every claim of the class reaches it. */
export const MODEL_CACHE_DIRECTORY = "model-cache";
/** POSIX owner of the model cache: the Jupyter Docker Stacks user (`jovyan`, uid 1000, gid 100). */
export const MODEL_CACHE_OWNER = { uid: 1000, gid: 100 } as const;
/** Days after which a non-current (overwritten or deleted) object version is removed. Default 7. */
export const NONCURRENT_VERSION_DAYS = 7;

/** The bucket's lifecycle rules (pure): expire artifacts after the retention, old versions after a week, failed uploads after a day. */
export function artifactLifecycleRules(
  artifacts: Cohort["artifacts"],
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: "labkit-retention",
      status: "Enabled",
      filter: { prefix: "" },
      ...(artifacts.retentionDays > 0 ? { expiration: { days: artifacts.retentionDays } } : {}),
      noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
  ];
}

/** The gp3 StorageClass manifest (pure): default class, encrypted, bound where the pod lands, deleted with its claim. */
export function gp3StorageClassSpec() {
  return {
    metadata: {
      name: GP3_STORAGE_CLASS,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: "ebs.csi.aws.com",
    parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

/**
 * The model cache StorageClass manifest (pure): EFS access points owned by the lab user, all on one
 * fixed directory (`subPathPattern` without variables, `ensureUniqueDirectory: "false"`), so the
 * controller's warm-up Job, every lab and every runner Job see the same cache whatever namespace
 * their claim is in. Deleting a claim removes its access point, not the cached files.
 */
export function modelCacheStorageClassSpec(fileSystemId: pulumi.Input<string>) {
  return {
    metadata: { name: MODEL_CACHE_STORAGE_CLASS },
    provisioner: "efs.csi.aws.com",
    parameters: {
      provisioningMode: "efs-ap",
      fileSystemId,
      directoryPerms: "775",
      uid: String(MODEL_CACHE_OWNER.uid),
      gid: String(MODEL_CACHE_OWNER.gid),
      basePath: "/",
      subPathPattern: MODEL_CACHE_DIRECTORY,
      ensureUniqueDirectory: "false",
    },
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  };
}

export interface StorageArgs {
  readonly cohort: Pick<Cohort, "name" | "artifacts">;
  readonly tags: Record<string, string>;
  /** Create the model cache on EFS in this VPC (new-cluster mode). Absent: no EFS (existing cluster). */
  readonly efs?: {
    readonly vpcId: pulumi.Input<string>;
    readonly vpcCidr: string;
    readonly privateSubnetIds: pulumi.Input<string[]>;
    /** Number of private subnets (one mount target each). */
    readonly subnetCount: number;
  };
  /** Create the StorageClasses with this provider (new-cluster mode). */
  readonly kubernetes?: {
    readonly provider: k8s.Provider;
    /** The CSI drivers (and nodes) the classes need: deleting a claim's volume needs them running. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  };
}

/** The storage component. */
export class Storage extends pulumi.ComponentResource {
  /** Artifact bucket name. */
  public readonly bucketName: pulumi.Output<string>;
  /** Artifact bucket ARN. */
  public readonly bucketArn: pulumi.Output<string>;
  /** EFS file system of the model cache (new-cluster mode). */
  public readonly modelCacheFileSystemId?: pulumi.Output<string>;
  /** The StorageClasses (new-cluster mode): claims should depend on these so they are deleted first. */
  public readonly storageClasses: k8s.storage.v1.StorageClass[];

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Storage", name, {}, opts);
    const created = createStorage(name, args, this);
    this.bucketName = created.bucket.bucket;
    this.bucketArn = created.bucket.arn;
    this.modelCacheFileSystemId = created.fileSystem?.id;
    this.storageClasses = created.storageClasses;
    this.registerOutputs({ bucketName: this.bucketName, modelCacheFileSystemId: this.modelCacheFileSystemId });
  }
}

/** Create the bucket, EFS and StorageClasses as children of `parent`. */
export function createStorage(name: string, args: StorageArgs, parent: pulumi.Resource) {
  const purge = args.cohort.artifacts.onDestroy === "purge";
  // `keep`: Pulumi forgets the bucket on destroy instead of deleting it (retainOnDelete).
  const bucketOpts = { parent, retainOnDelete: !purge };
  const bucket = new aws.s3.Bucket(`${name}-artifacts`, { forceDestroy: purge, tags: args.tags }, bucketOpts);
  new aws.s3.BucketPublicAccessBlock(
    `${name}-artifacts`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    bucketOpts,
  );
  new aws.s3.BucketOwnershipControls(
    `${name}-artifacts`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    bucketOpts,
  );
  new aws.s3.BucketVersioning(
    `${name}-artifacts`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    bucketOpts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-artifacts`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
    },
    bucketOpts,
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-artifacts`,
    { bucket: bucket.id, rules: artifactLifecycleRules(args.cohort.artifacts) },
    bucketOpts,
  );

  let fileSystem: aws.efs.FileSystem | undefined;
  if (args.efs) {
    const efs = args.efs;
    fileSystem = new aws.efs.FileSystem(
      `${name}-model-cache`,
      { encrypted: true, performanceMode: "generalPurpose", throughputMode: "elastic", tags: args.tags },
      { parent },
    );
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-model-cache-nfs`,
      {
        vpcId: efs.vpcId,
        description: "NFS from the cohort's VPC to the model cache",
        ingress: [{ protocol: "tcp", fromPort: 2049, toPort: 2049, cidrBlocks: [efs.vpcCidr] }],
        tags: args.tags,
      },
      { parent },
    );
    const fsId = fileSystem.id;
    for (let index = 0; index < efs.subnetCount; index++) {
      new aws.efs.MountTarget(
        `${name}-model-cache-${index}`,
        {
          fileSystemId: fsId,
          subnetId: pulumi.output(efs.privateSubnetIds).apply((ids) => ids[index]),
          securityGroups: [securityGroup.id],
        },
        { parent },
      );
    }
  }

  const storageClasses: k8s.storage.v1.StorageClass[] = [];
  if (args.kubernetes) {
    const k8sOpts = { parent, provider: args.kubernetes.provider, dependsOn: args.kubernetes.dependsOn };
    storageClasses.push(new k8s.storage.v1.StorageClass(`${name}-gp3`, gp3StorageClassSpec(), k8sOpts));
    if (fileSystem) {
      storageClasses.push(
        new k8s.storage.v1.StorageClass(`${name}-model-cache`, modelCacheStorageClassSpec(fileSystem.id), k8sOpts),
      );
    }
  }
  return { bucket, fileSystem, storageClasses };
}
