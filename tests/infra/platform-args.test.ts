/**
 * The arguments labkit hands to @pulumi/eks, awsx and the AWS/Kubernetes resources, tested as
 * pure functions (those components are opaque under mocks).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GPU_NODE_LABEL, GPU_NODE_TAINT } from "../../charts/names";
import {
  clusterArgs,
  INSTRUCTOR_ACCESS_POLICY_ARN,
  networkingAddonArgs,
  PLATFORM_ACCESS_POLICY_ARN,
} from "../../infra/platform/cluster";
import { ENVOY_HTTP_CONTAINER_PORT, loadBalancerAnnotations, loadBalancerPorts } from "../../infra/platform/gateway";
import { DEVICE_STACK_MODES, hamiValues, nvidiaDevicePluginValues } from "../../infra/platform/gpu-stack";
import { kubeSchedulerImage, PINNED_CHARTS } from "../../infra/platform/helm-charts";
import { controllerPolicyDocument, runnerPolicyDocument } from "../../infra/platform/identity";
import { buildKubeconfig } from "../../infra/platform/kubeconfig";
import { vpcArgs } from "../../infra/platform/network";
import {
  GPU_SHARING_LABEL,
  gpuNodeGroupArgs,
  nodeLaunchTemplateArgs,
  systemNodeGroupArgs,
} from "../../infra/platform/node-groups";
import { artifactLifecycleRules, gp3StorageClassSpec, modelCacheStorageClassSpec } from "../../infra/platform/storage";
import { workloadAddonArgs } from "../../infra/platform/workload-addons";
import { writesOutsideCohortPrefix, writesToOtherLearnersRuns } from "../../infra/policies/s3-writes-in-cohort-prefix";
import type { GpuPool } from "../../schema/cohort";
import { exampleCohort } from "./example-cohort";

const cohort = exampleCohort();
const create = cohort.cloud.cluster.create!;
const tags = { "labkit:cohort": cohort.name };
const wiring = {
  clusterName: "labkit-x",
  nodeRoleArn: "arn:role",
  subnetIds: ["a", "b"],
  launchTemplateId: "lt-1",
  tags,
};
const pool = (over: Partial<GpuPool> = {}): GpuPool => ({
  name: "l40s",
  instanceType: "g6e.xlarge",
  count: 3,
  capacity: "onDemand",
  sharing: "hami",
  ...over,
});

describe("network", () => {
  it("spreads private node subnets over the cohort's availability zones and tags subnets for load balancers", () => {
    const args = vpcArgs({ create: { ...create, availabilityZones: 3 }, clusterName: "labkit-x", tags });
    expect(args.numberOfAvailabilityZones).toBe(3);
    const publicSpec = args.subnetSpecs?.find((s) => s.type === "Public");
    const privateSpec = args.subnetSpecs?.find((s) => s.type === "Private");
    expect(publicSpec?.tags).toMatchObject({
      "kubernetes.io/role/elb": "1",
      "kubernetes.io/cluster/labkit-x": "shared",
    });
    expect(privateSpec?.tags).toMatchObject({ "kubernetes.io/role/internal-elb": "1" });
  });

  it.each([
    ["single", "Single"],
    ["perAz", "OnePerAz"],
  ] as const)("turns natGateways: %s into awsx's %s NAT strategy", (choice, strategy) => {
    expect(vpcArgs({ create: { ...create, natGateways: choice }, clusterName: "c", tags }).natGateways).toEqual({
      strategy,
    });
  });
});

describe("cluster", () => {
  const args = clusterArgs({
    create: { ...create, kubernetesVersion: "1.32", privateEndpoint: true, deletionProtection: true },
    clusterName: "labkit-x",
    region: "eu-central-1",
    vpcId: "vpc",
    publicSubnetIds: ["p"],
    privateSubnetIds: ["q"],
    tags,
  });

  it("uses API authentication with access entries: instructors view, the platform team administers", () => {
    expect(args.authenticationMode).toBe("API");
    const entries = Object.values(args.accessEntries ?? {});
    expect(entries).toHaveLength(2);
    expect(entries).toContainEqual({
      principalArn: "arn:aws:iam::123456789012:role/WorkshopInstructors",
      accessPolicies: { view: { policyArn: INSTRUCTOR_ACCESS_POLICY_ARN, accessScope: { type: "cluster" } } },
    });
    expect(entries).toContainEqual({
      principalArn: "arn:aws:iam::123456789012:role/PlatformAdmins",
      accessPolicies: { admin: { policyArn: PLATFORM_ACCESS_POLICY_ARN, accessScope: { type: "cluster" } } },
    });
  });

  it("creates an OIDC provider, takes the Kubernetes version from the cohort, and honours private endpoint and deletion protection", () => {
    expect(args.createOidcProvider).toBe(true);
    expect(args.version).toBe("1.32");
    expect(args.endpointPrivateAccess).toBe(true);
    expect(args.endpointPublicAccess).toBe(false);
    expect(args.deletionProtection).toBe(true);
    expect(args.skipDefaultNodeGroup).toBe(true);
  });

  it("leaves vpc-cni, kube-proxy and CoreDNS to labkit's own managed addons", () => {
    expect(args.useDefaultVpcCni).toBe(true);
    expect(args.kubeProxyAddonOptions?.enabled).toBe(false);
    expect(args.corednsAddonOptions?.enabled).toBe(false);
    const addons = networkingAddonArgs("labkit-x", tags);
    expect(addons.vpcCni.addonName).toBe("vpc-cni");
    expect(JSON.parse(addons.vpcCni.configurationValues).enableNetworkPolicy).toBe("true");
    expect([addons.kubeProxy.addonName, addons.podIdentityAgent.addonName]).toEqual([
      "kube-proxy",
      "eks-pod-identity-agent",
    ]);
  });

  it("gives the EBS and EFS CSI drivers their own Pod Identity roles, and lets the EBS node plugin onto GPU nodes", () => {
    const addons = workloadAddonArgs("labkit-x", { ebs: "arn:ebs", efs: "arn:efs" }, tags);
    expect(addons.coredns.addonName).toBe("coredns");
    expect(addons.ebsCsi.podIdentityAssociations).toEqual([
      { roleArn: "arn:ebs", serviceAccount: "ebs-csi-controller-sa" },
    ]);
    expect(JSON.parse(addons.ebsCsi.configurationValues).node.tolerateAllTaints).toBe(true);
    expect(addons.efsCsi?.podIdentityAssociations).toEqual([
      { roleArn: "arn:efs", serviceAccount: "efs-csi-controller-sa" },
    ]);
  });

  it("builds a kubeconfig that authenticates with `aws eks get-token` for the cluster and region", () => {
    const config = buildKubeconfig({
      clusterName: "labkit-x",
      endpoint: "https://e",
      certificateAuthorityData: "Q0E=",
      region: "eu-central-1",
    });
    const user = (config.users as Array<{ user: { exec: { args: string[] } } }>)[0].user;
    expect(user.exec.args).toEqual([
      "eks",
      "get-token",
      "--cluster-name",
      "labkit-x",
      "--region",
      "eu-central-1",
      "--output",
      "json",
    ]);
    expect(config["current-context"]).toBe("labkit-x");
  });
});

describe("node groups", () => {
  it("gives a GPU pool's node group the NVIDIA AL2023 AMI, the GPU taint and label, its count, and room to scale to zero", () => {
    const args = gpuNodeGroupArgs(pool({ count: 4 }), wiring);
    expect(args.amiType).toBe("AL2023_x86_64_NVIDIA");
    expect(args.taints).toEqual([{ key: GPU_NODE_TAINT.key, value: "true", effect: "NO_SCHEDULE" }]);
    expect(args.labels).toMatchObject({
      [GPU_NODE_LABEL.key]: "on",
      [GPU_SHARING_LABEL]: "hami",
      "labkit.dev/gpu-pool": "l40s",
    });
    expect(args.scalingConfig).toEqual({ minSize: 0, maxSize: 4, desiredSize: 4 });
    expect(args.instanceTypes).toEqual(["g6e.xlarge"]);
  });

  it.each([
    ["onDemand", "ON_DEMAND"],
    ["spot", "SPOT"],
  ] as const)("maps capacity %s to EKS capacity type %s", (capacity, capacityType) => {
    expect(gpuNodeGroupArgs(pool({ capacity }), wiring).capacityType).toBe(capacityType);
  });

  it("keeps the system pool untainted on the standard AMI", () => {
    const args = systemNodeGroupArgs("m7i.4xlarge", 5, wiring);
    expect(args.amiType).toBe("AL2023_x86_64_STANDARD");
    expect(args.taints).toBeUndefined();
    expect(args.scalingConfig).toEqual({ minSize: 5, maxSize: 5, desiredSize: 5 });
  });

  it("requires IMDSv2 with a hop limit of 1 and encrypts the root volume", () => {
    const template = nodeLaunchTemplateArgs(200, tags);
    expect(template.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(template.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: 200, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      },
    ]);
  });
});

describe("GPU stack", () => {
  it("runs HAMi's device plugin only on hami GPU nodes, tolerating the GPU taint, with kube-scheduler from registry.k8s.io", () => {
    const values = hamiValues("1.33");
    expect(values.devicePlugin.nvidiaNodeSelector).toEqual({ gpu: "on", [GPU_SHARING_LABEL]: "hami" });
    expect(values.devicePlugin.tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(values.scheduler.kubeScheduler.image).toEqual({
      registry: "registry.k8s.io",
      repository: "kube-scheduler",
      tag: "v1.33.0",
    });
  });

  it("never places HAMi and the NVIDIA device plugin on the same node, whatever the pools' sharing modes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("hami", "exclusive", "mig" as const), { minLength: 1, maxLength: 6 }),
        (modes) => {
          const pools = modes.map((sharing, i) =>
            pool({ name: `p${i}`, sharing, migProfile: sharing === "mig" ? "3g.40gb" : undefined }),
          );
          const pluginModes =
            nvidiaDevicePluginValues(pools).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
              .nodeSelectorTerms[0].matchExpressions[0].values;
          const hamiMode = hamiValues("1.33").devicePlugin.nvidiaNodeSelector[GPU_SHARING_LABEL];
          // Each node carries exactly one sharing label, taken from its pool.
          for (const p of pools) {
            const nodeMode = gpuNodeGroupArgs(p, wiring).labels as Record<string, string>;
            const runsHami = nodeMode[GPU_SHARING_LABEL] === hamiMode;
            const runsPlugin = pluginModes.includes(nodeMode[GPU_SHARING_LABEL] as "exclusive" | "mig");
            expect(runsHami && runsPlugin).toBe(false);
            expect(runsHami || runsPlugin).toBe(true);
          }
        },
      ),
    );
    expect(DEVICE_STACK_MODES.hami).toEqual(["hami"]);
  });

  it("turns on MIG in the device plugin only when a pool uses MIG", () => {
    expect(nvidiaDevicePluginValues([pool({ sharing: "exclusive" })]).migStrategy).toBe("none");
    expect(
      nvidiaDevicePluginValues([pool({ sharing: "mig", instanceType: "p4de.24xlarge", migProfile: "3g.40gb" })])
        .migStrategy,
    ).toBe("mixed");
  });

  it("pins every Helm chart to an exact version", () => {
    for (const chart of PINNED_CHARTS) expect(chart.version).toMatch(/^v?\d+\.\d+\.\d+$/);
    expect(kubeSchedulerImage("1.31").tag).toBe("v1.31.0");
  });
});

describe("storage", () => {
  it("expires artifacts after the cohort's retention, old versions after a week and failed uploads after a day", () => {
    const [rule] = artifactLifecycleRules({ onDestroy: "keep", retentionDays: 90 });
    expect(rule).toMatchObject({
      status: "Enabled",
      expiration: { days: 90 },
      noncurrentVersionExpiration: { noncurrentDays: 7 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    });
    const [forever] = artifactLifecycleRules({ onDestroy: "keep", retentionDays: 0 });
    expect(forever.expiration).toBeUndefined();
    expect(forever.noncurrentVersionExpiration).toBeDefined();
  });

  it("makes gp3 the default StorageClass, encrypted and deleted with its claim", () => {
    const sc = gp3StorageClassSpec();
    expect(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
    expect(sc).toMatchObject({
      provisioner: "ebs.csi.aws.com",
      reclaimPolicy: "Delete",
      parameters: { type: "gp3", encrypted: "true" },
    });
  });

  it("points every model-cache claim at one shared EFS directory", () => {
    const sc = modelCacheStorageClassSpec("fs-1");
    expect(sc.parameters).toMatchObject({
      provisioningMode: "efs-ap",
      fileSystemId: "fs-1",
      subPathPattern: "model-cache",
      ensureUniqueDirectory: "false",
    });
  });
});

describe("identity", () => {
  const bucketArn = "arn:aws:s3:::labkit-artifacts";

  it("lets runner Jobs read and write only their own learner's area, named by the Pod Identity namespace tag", () => {
    const doc = runnerPolicyDocument(bucketArn, "ft-dec26", "labkit-ft-dec26");
    expect(writesOutsideCohortPrefix(JSON.stringify(doc))).toEqual([]);
    expect(writesToOtherLearnersRuns(JSON.stringify(doc))).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, written literally
    const own = "cohorts/ft-dec26/learners/${aws:PrincipalTag/kubernetes-namespace}/";
    const objectStatement = doc.Statement.find((s) => s.Sid === "ReadWriteOwnLearnerArea");
    expect(objectStatement?.Resource).toBe(`${bucketArn}/${own}*`);
    const list = doc.Statement.find((s) => s.Action === "s3:ListBucket");
    expect(list?.Condition?.StringLike).toEqual({ "s3:prefix": [`${own}*`] });
    for (const statement of doc.Statement) {
      expect(statement.Condition?.StringEquals).toEqual({
        "aws:PrincipalTag/eks-cluster-name": "labkit-ft-dec26",
        "aws:PrincipalTag/kubernetes-service-account": "labkit-runner",
      });
    }
  });

  it("lets the controller read the cohort's prefix and write only learners' dataset uploads", () => {
    const doc = controllerPolicyDocument(bucketArn, "ft-dec26");
    expect(writesOutsideCohortPrefix(JSON.stringify(doc))).toEqual([]);
    expect(writesToOtherLearnersRuns(JSON.stringify(doc))).toEqual([]);
    const writes = doc.Statement.filter((s) => ([] as string[]).concat(s.Action).includes("s3:PutObject"));
    expect(writes.map((s) => s.Resource)).toEqual([`${bucketArn}/cohorts/ft-dec26/learners/lab-*/datasets/*`]);
  });

  it("flags a write outside any cohort prefix", () => {
    const wide = JSON.stringify({
      Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `${bucketArn}/*` }],
    });
    expect(writesOutsideCohortPrefix(wide)).toEqual([`s3:PutObject on ${bucketArn}/*`]);
  });
});

describe("gateway", () => {
  it("asks for an NLB with TLS on 443 when a certificate is given, and plain HTTP on 80 otherwise", () => {
    const tls = loadBalancerAnnotations("arn:cert", { "labkit:cohort": "c" });
    expect(tls).toMatchObject({
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:cert",
      "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
      "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags": "labkit:cohort=c",
    });
    expect(
      loadBalancerAnnotations(undefined, {})["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"],
    ).toBeUndefined();
    expect(loadBalancerPorts(true)).toEqual([
      { name: "https", port: 443, targetPort: ENVOY_HTTP_CONTAINER_PORT, protocol: "TCP" },
    ]);
    expect(loadBalancerPorts(false).map((p) => p.port)).toEqual([80]);
  });
});
