/** Policies: the artifact bucket blocks every kind of public access and encrypts every object. */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

export const bucketPublicAccessPolicy: ResourceValidationPolicy = {
  name: "labkit-bucket-no-public-access",
  description: "S3 public access blocks turn on all four switches.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.s3.BucketPublicAccessBlock, (block, _args, reportViolation) => {
    const switches = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
    for (const key of switches) {
      if (block[key] !== true) reportViolation(`bucket public access block has ${key} off; set it to true`);
    }
  }),
};

export const bucketEncryptionPolicy: ResourceValidationPolicy = {
  name: "labkit-bucket-encrypted",
  description: "S3 buckets encrypt objects by default (SSE-KMS or SSE-S3).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(
    aws.s3.BucketServerSideEncryptionConfiguration,
    (config, _args, reportViolation) => {
      const algorithms = (config.rules ?? []).map((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm);
      if (!algorithms.some((a) => a === "aws:kms" || a === "AES256" || a === "aws:kms:dsse")) {
        reportViolation("bucket has no default encryption: add a rule with sseAlgorithm `aws:kms`");
      }
    },
  ),
};
