/** labkit's @pulumi/policy resource policies, called directly on good and bad resource inputs. */
import { describe, expect, it } from "vitest";
import { checkResource } from "../../../infra/policies";

const check = (type: string, inputs: Record<string, unknown>) =>
  checkResource({ type, name: "r", urn: `urn:pulumi:s::p::${type}::r`, inputs });

describe("labkit policies", () => {
  it("refuses a GPU node group on a non-NVIDIA AMI, without the GPU taint", async () => {
    const violations = await check("aws:eks/nodeGroup:NodeGroup", {
      amiType: "AL2023_x86_64_STANDARD",
      labels: { gpu: "on" },
    });
    expect(violations.map((v) => v.policy)).toEqual(["labkit-gpu-node-group", "labkit-gpu-node-group"]);
    expect(violations[0].message).toContain("AL2023_x86_64_NVIDIA");
    expect(violations[1].message).toContain("nvidia.com/gpu=true:NoSchedule");
  });

  it("leaves CPU node groups alone", async () => {
    expect(await check("aws:eks/nodeGroup:NodeGroup", { amiType: "AL2023_x86_64_STANDARD", labels: {} })).toEqual([]);
  });

  it("refuses a launch template that allows IMDSv1 or a hop limit of 2", async () => {
    const violations = await check("aws:ec2/launchTemplate:LaunchTemplate", {
      metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 2 },
    });
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringContaining("IMDSv1"),
      expect.stringContaining("hop limit is 2"),
    ]);
  });

  it("refuses a public access block with any switch off, and a bucket without default encryption", async () => {
    const open = await check("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
      blockPublicAcls: true,
      blockPublicPolicy: false,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(open.map((v) => v.message)).toEqual([expect.stringContaining("blockPublicPolicy")]);
    const plain = await check(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      { rules: [] },
    );
    expect(plain.map((v) => v.policy)).toEqual(["labkit-bucket-encrypted"]);
  });

  it("refuses a vpc-cni addon without network policy enforcement", async () => {
    const violations = await check("aws:eks/addon:Addon", { addonName: "vpc-cni", configurationValues: "{}" });
    expect(violations.map((v) => v.policy)).toEqual(["labkit-vpc-cni-network-policy"]);
    expect(await check("aws:eks/addon:Addon", { addonName: "coredns" })).toEqual([]);
  });

  it("refuses a Helm release without an exact chart version", async () => {
    for (const version of [undefined, "^1.2.0", "1.x"]) {
      const violations = await check("kubernetes:helm.sh/v3:Release", { chart: "hami", version });
      expect(violations.map((v) => v.policy)).toEqual(["labkit-pinned-helm-chart"]);
    }
    expect(await check("kubernetes:helm.sh/v3:Release", { chart: "hami", version: "2.10.0" })).toEqual([]);
  });

  it("refuses a role policy that writes to the whole bucket or another bucket's root", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::b/*" },
        { Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/cohorts/ft/x" },
        { Effect: "Allow", Action: "s3:*", Resource: "*" },
      ],
    });
    const violations = await check("aws:iam/rolePolicy:RolePolicy", { policy });
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringContaining("s3:PutObject on arn:aws:s3:::b/*"),
      expect.stringContaining("s3:* on *"),
    ]);
  });

  it("refuses a role policy that lets one session write every learner's run artifacts, and accepts one scoped by the namespace tag", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, written literally
    const own = "arn:aws:s3:::b/cohorts/ft/learners/${aws:PrincipalTag/kubernetes-namespace}/*";
    const policy = (resource: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: resource }],
      });
    for (const wide of [
      "arn:aws:s3:::b/cohorts/ft/*",
      "arn:aws:s3:::b/cohorts/ft/learners/*",
      "arn:aws:s3:::b/cohorts/ft/learners/lab-*/runs/*",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, written literally
      "arn:aws:s3:::b/cohorts/ft/learners/${aws:PrincipalTag/kubernetes-pod-name}/*",
    ]) {
      const violations = await check("aws:iam/rolePolicy:RolePolicy", { policy: policy(wide) });
      expect(
        violations.map((v) => v.message),
        wide,
      ).toEqual([
        expect.stringMatching(/overwrite every learner's run artifacts.*\$\{aws:PrincipalTag\/kubernetes-namespace\}/),
      ]);
    }
    for (const scoped of [
      own,
      "arn:aws:s3:::b/cohorts/ft/learners/lab-*/datasets/*",
      "arn:aws:s3:::b/cohorts/ft/learners/lab-ada/*",
    ]) {
      expect(await check("aws:iam/rolePolicy:RolePolicy", { policy: policy(scoped) }), scoped).toEqual([]);
    }
  });
});
