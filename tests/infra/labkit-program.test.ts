/**
 * The real Pulumi program, run under Pulumi's mocks for the example cohort: assertions on the
 * inputs of the resources it registers, on the dependency edges `pulumi destroy` follows, and the
 * labkit policies called directly on every resource.
 */

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTROLLER_SERVICE, learnerNamespace, SYSTEM_NAMESPACE } from "../../charts/names";
import { listResources, type PlannedResource } from "../../infra/list-resources";
import { checkResource } from "../../infra/policies";
import { exampleCohort, withCreate, withExisting, withFirstLearners, withPools } from "./example-cohort";

const cohort = exampleCohort();
let resources: PlannedResource[];

beforeAll(async () => {
  resources = await listResources(cohort);
});

const ofType = (list: PlannedResource[], type: string) => list.filter((r) => r.type === type);
const one = (list: PlannedResource[], type: string, nameSuffix = "") => {
  const found = ofType(list, type).filter((r) => r.name.endsWith(nameSuffix));
  expect(found, `${type} *${nameSuffix}`).toHaveLength(1);
  return found[0];
};

/** Everything a resource depends on, directly or through its parents and their dependencies. */
function dependsTransitively(list: PlannedResource[], from: PlannedResource, to: PlannedResource): boolean {
  const byUrn = new Map(list.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const stack = [from.urn];
  while (stack.length > 0) {
    const urn = stack.pop() as string;
    if (urn === to.urn && urn !== from.urn) return true;
    if (seen.has(urn)) continue;
    seen.add(urn);
    const r = byUrn.get(urn);
    if (!r) continue;
    stack.push(...r.dependencies);
    if (r.parent) stack.push(r.parent);
  }
  return false;
}

// biome-ignore lint/suspicious/noExplicitAny: resource inputs as recorded under mocks
type Inputs = Record<string, any>;
const kubernetesName = (r: PlannedResource) => (r.inputs as Inputs).metadata?.name as string | undefined;
const kubernetesNamespace = (r: PlannedResource) => (r.inputs as Inputs).metadata?.namespace as string | undefined;
/** A secret input as the mocks record it: `{ <signature>, value }`, or the plain value. */
const revealed = (value: Inputs) => (value && "value" in value ? value.value : value);

/** The lab-controller's objects as the program deploys them, and the checks both cluster modes share. */
function expectControllerDeployed(list: PlannedResource[], learnerIds: string[]) {
  const inSystem = (type: string) => ofType(list, type).filter((r) => kubernetesNamespace(r) === SYSTEM_NAMESPACE);
  const deployments = inSystem("kubernetes:apps/v1:Deployment");
  expect(deployments).toHaveLength(1);
  const deployment = deployments[0].inputs as Inputs;
  expect(deployment.metadata.name).toBe(CONTROLLER_SERVICE.name);
  expect(deployment.spec.replicas).toBe(1);
  expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
  const pod = deployment.spec.template.spec;
  // The Pod Identity association (infra/platform/identity.ts) names this ServiceAccount.
  expect(pod.serviceAccountName).toBe(CONTROLLER_SERVICE.name);
  const serviceAccounts = inSystem("kubernetes:core/v1:ServiceAccount").map(kubernetesName);
  expect(serviceAccounts).toEqual([CONTROLLER_SERVICE.name]);
  const association = ofType(list, "aws:eks/podIdentityAssociation:PodIdentityAssociation").filter(
    (a) => a.inputs.namespace === SYSTEM_NAMESPACE,
  );
  expect(association.map((a) => a.inputs.serviceAccount)).toEqual([CONTROLLER_SERVICE.name]);

  const claim = inSystem("kubernetes:core/v1:PersistentVolumeClaim").find(
    (c) => kubernetesName(c) === CONTROLLER_SERVICE.name,
  ) as PlannedResource;
  expect((claim.inputs as Inputs).spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3" });
  expect(pod.volumes.find((v: Inputs) => v.name === "data").persistentVolumeClaim.claimName).toBe(
    CONTROLLER_SERVICE.name,
  );
  const services = inSystem("kubernetes:core/v1:Service").filter((s) => kubernetesName(s) === CONTROLLER_SERVICE.name);
  expect(services).toHaveLength(1);
  expect((services[0].inputs as Inputs).spec.ports[0].port).toBe(CONTROLLER_SERVICE.port);

  expect(ofType(list, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").map(kubernetesName).sort()).toEqual([
    "labkit-controller-jobs",
    "labkit-controller-read",
  ]);
  expect(ofType(list, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toHaveLength(1);
  const bindings = ofType(list, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
  expect(bindings.map(kubernetesNamespace).sort()).toEqual(learnerIds.map(learnerNamespace).sort());

  // Created once: the system namespace by CohortApps, the route by CohortApps, nothing by the controller.
  expect(
    ofType(list, "kubernetes:core/v1:Namespace").filter((n) => kubernetesName(n) === SYSTEM_NAMESPACE),
  ).toHaveLength(1);
  const routes = ofType(list, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").filter(
    (r) => kubernetesNamespace(r) === SYSTEM_NAMESPACE,
  );
  expect(routes).toHaveLength(1);
  const backends = (routes[0].inputs as Inputs).spec.rules.flatMap((rule: Inputs) => rule.backendRefs);
  expect(backends).toContainEqual(
    expect.objectContaining({ name: CONTROLLER_SERVICE.name, port: CONTROLLER_SERVICE.port }),
  );
  return { deployment, claim, bindings };
}

describe("the program for the example cohort", () => {
  it("creates one GPU node group per pool with the NVIDIA AMI, GPU taint and label, at the pool's size", () => {
    const groups = ofType(resources, "aws:eks/nodeGroup:NodeGroup");
    expect(groups.map((g) => g.name).sort()).toEqual(["ft-dec26-gpu-l40s", "ft-dec26-system"]);
    const gpu = one(resources, "aws:eks/nodeGroup:NodeGroup", "-gpu-l40s");
    expect(gpu.inputs).toMatchObject({
      amiType: "AL2023_x86_64_NVIDIA",
      capacityType: "ON_DEMAND",
      instanceTypes: ["g6e.xlarge"],
      labels: { gpu: "on" },
      taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }],
      scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 8 },
      clusterName: "labkit-ft-dec26",
    });
    const templates = ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate");
    expect(templates).toHaveLength(2);
    for (const t of templates)
      expect(t.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect((gpu.inputs.launchTemplate as { id: string }).id).toBe("ft-dec26-gpu-lt-id");
  });

  it("sizes the system pool from the learners' lab requests", () => {
    const system = one(resources, "aws:eks/nodeGroup:NodeGroup", "-system");
    // 24 labs × (2 CPU, 8 GiB) + overhead on m7i.4xlarge (16 vCPU, 64 GiB) at 90%: memory needs 4 nodes.
    expect(system.inputs.scalingConfig).toEqual({ minSize: 4, maxSize: 4, desiredSize: 4 });
  });

  it("installs managed vpc-cni (network policy on), kube-proxy, Pod Identity agent, CoreDNS, EBS and EFS CSI addons", () => {
    const addons = ofType(resources, "aws:eks/addon:Addon").map((a) => a.inputs.addonName);
    expect(addons.sort()).toEqual(
      ["aws-ebs-csi-driver", "aws-efs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"].sort(),
    );
    const cni = ofType(resources, "aws:eks/addon:Addon").find(
      (a) => a.inputs.addonName === "vpc-cni",
    ) as PlannedResource;
    expect(JSON.parse(cni.inputs.configurationValues as string).enableNetworkPolicy).toBe("true");
  });

  it("keeps the artifact bucket private, encrypted, versioned, with a lifecycle rule, and retains it on destroy", () => {
    const bucket = one(resources, "aws:s3/bucket:Bucket");
    expect(bucket.retainOnDelete).toBe(true);
    expect(bucket.inputs.forceDestroy).toBe(false);
    expect(one(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const encryption = one(
      resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    expect(encryption.inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
    ]);
    expect(one(resources, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({
      status: "Enabled",
    });
    expect(
      one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules,
    ).toHaveLength(1);
  });

  it("creates one runner Pod Identity association per learner namespace and one for the controller, nothing else", () => {
    const associations = ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    expect(associations).toHaveLength(cohort.learners.length + 1);
    const runnerNamespaces = associations
      .filter((a) => a.inputs.serviceAccount === "labkit-runner")
      .map((a) => a.inputs.namespace)
      .sort();
    expect(runnerNamespaces).toEqual(cohort.learners.map((l) => learnerNamespace(l.id)).sort());
    expect(associations.filter((a) => a.inputs.namespace === "labkit-system")).toHaveLength(1);
  });

  it("lets no role write to S3 outside the cohort's prefix", async () => {
    const policies = ofType(resources, "aws:iam/rolePolicy:RolePolicy");
    expect(policies).toHaveLength(2);
    for (const p of policies) expect(await checkResource(p)).toEqual([]);
    for (const p of policies) expect(p.inputs.policy).toContain("/cohorts/ft-dec26/");
  });

  it("installs HAMi pinned, and no NVIDIA device plugin, for an all-HAMi cohort", () => {
    const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
    expect(releases.map((r) => r.inputs.chart).sort()).toEqual(["hami", "oci://docker.io/envoyproxy/gateway-helm"]);
    for (const r of releases) expect(r.inputs.version).toMatch(/^v?\d+\.\d+\.\d+$/);
  });

  it("passes every labkit policy on every resource it creates", async () => {
    const violations = [];
    for (const r of resources) violations.push(...(await checkResource(r)));
    expect(violations).toEqual([]);
  });

  it("routes through one load balancer: a LoadBalancer Service with TLS on 443 for the cohort's domain", () => {
    const services = ofType(resources, "kubernetes:core/v1:Service").filter(
      (s) => (s.inputs.spec as { type?: string }).type === "LoadBalancer",
    );
    expect(services).toHaveLength(1);
    expect(services[0].name).toBe("ft-dec26-lb");
    const spec = services[0].inputs.spec as { type: string; ports: Array<{ port: number }> };
    expect(spec.type).toBe("LoadBalancer");
    expect(spec.ports.map((p) => p.port)).toEqual([443]);
    const gateway = one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    expect((gateway.inputs.spec as { listeners: Array<{ hostname: string }> }).listeners[0].hostname).toBe(
      "labs.example.org",
    );
  });

  it("tags every taggable AWS resource with the cohort for cost allocation", () => {
    const aws = resources.filter((r) => r.kind === "resource" && r.type.startsWith("aws:") && "tags" in r.inputs);
    expect(aws.length).toBeGreaterThan(10);
    for (const r of aws) expect(r.inputs.tags, r.name).toMatchObject({ "labkit:cohort": "ft-dec26" });
    const provider = one(resources, "pulumi:providers:aws");
    expect(JSON.parse(String((provider.inputs.defaultTags as string) ?? "{}"))).toEqual({
      tags: { "labkit:cohort": "ft-dec26", "labkit:managed-by": "labkit", "labkit:region": "eu-central-1" },
    });
  });
});

describe("the lab-controller in the program", () => {
  it("puts labkit-system, like every learner namespace, under the restricted Pod Security Standard", () => {
    // labkit-gateway holds Envoy Gateway's own chart, which labkit does not author.
    const namespaces = ofType(resources, "kubernetes:core/v1:Namespace").filter(
      (n) => kubernetesName(n) !== "labkit-gateway",
    );
    expect(namespaces.map(kubernetesName)).toContain("labkit-system");
    expect(namespaces).toHaveLength(1 + cohort.learners.length);
    for (const namespace of namespaces) {
      expect((namespace.inputs as Inputs).metadata.labels, kubernetesName(namespace)).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
      });
    }
  });

  it("deploys the controller once into labkit-system: Recreate Deployment, database claim on gp3, Service, ServiceAccount `lab-controller`, RBAC with a RoleBinding per learner namespace", () => {
    expectControllerDeployed(
      resources,
      cohort.learners.map((l) => l.id),
    );
  });

  it("gives the controller the artifact bucket, and only sha256 hashes of every learner's and instructor's token", () => {
    const deployment = one(resources, "kubernetes:apps/v1:Deployment").inputs as Inputs;
    const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
    const bucket = one(resources, "aws:s3/bucket:Bucket");
    expect(env.filter((e) => e.name === "LABKIT_ARTIFACT_BUCKET")).toEqual([
      { name: "LABKIT_ARTIFACT_BUCKET", value: bucket.name },
    ]);
    const secret = ofType(resources, "kubernetes:core/v1:Secret").find(
      (s) => kubernetesName(s) === "lab-controller-tokens",
    ) as PlannedResource;
    const tokens = JSON.parse(revealed((secret.inputs as Inputs).stringData)["tokens.json"]);
    expect(tokens.learners.map((l: { id: string }) => l.id)).toEqual(cohort.learners.map((l) => l.id));
    expect(tokens.instructors.map((p: { id: string }) => p.id)).toEqual(cohort.instructors.map((p) => p.id));
    // The hash of the token the Labs component generated for the learner (offline mocks: `offline-<name>`).
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    const ada = tokens.learners.find((l: { id: string }) => l.id === "ada");
    expect(ada.tokenSha256).toBe(sha256("offline-ft-dec26-ada-token"));
    expect(JSON.stringify(tokens)).not.toContain("offline-");
    const instructorToken = one(resources, "random:index/randomPassword:RandomPassword", "-instructor-maria-token");
    expect(tokens.instructors[0].tokenSha256).toBe(sha256(`offline-${instructorToken.name}`));
  });

  it("creates the learner namespaces before the controller's RoleBindings in them", () => {
    const namespaces = new Map(
      ofType(resources, "kubernetes:core/v1:Namespace").map((n) => [kubernetesName(n), n] as const),
    );
    const bindings = ofType(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
    expect(bindings).toHaveLength(cohort.learners.length);
    for (const binding of bindings) {
      const namespace = namespaces.get(kubernetesNamespace(binding)) as PlannedResource;
      expect(namespace, kubernetesNamespace(binding)).toBeDefined();
      expect(binding.dependencies).toContain(namespace.urn);
    }
    const system = namespaces.get(SYSTEM_NAMESPACE) as PlannedResource;
    const deployment = one(resources, "kubernetes:apps/v1:Deployment");
    expect(deployment.dependencies).toContain(system.urn);
    for (const r of resources.filter((r) => r.parent?.endsWith("::ft-dec26-controller") && r.kind === "resource"))
      if (r.type.startsWith("kubernetes:")) expect(dependsTransitively(resources, r, system), r.name).toBe(true);
  });

  it("deploys the controller into an existing cluster too, with that stack's bucket", async () => {
    const list = await listResources(withExisting(cohort, { stackReference: "acme/labkit-platform/prod" }));
    const { deployment } = expectControllerDeployed(
      list,
      cohort.learners.map((l) => l.id),
    );
    const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
    expect(env.find((e) => e.name === "LABKIT_ARTIFACT_BUCKET")?.value).toBe(one(list, "aws:s3/bucket:Bucket").name);
  });

  it("adds 14 Pulumi resources per learner: the lab's 12, the controller's RoleBinding and the runner's Pod Identity association", async () => {
    const fewer = await listResources(withFirstLearners(cohort, cohort.learners.length - 1));
    const names = new Set(fewer.map((r) => `${r.type} ${r.name}`));
    const added = resources.filter((r) => r.kind !== "component" && !names.has(`${r.type} ${r.name}`));
    const last = cohort.learners[cohort.learners.length - 1].id;
    expect(added.map((r) => r.type).sort()).toEqual(
      [
        "random:index/randomPassword:RandomPassword",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:ResourceQuota",
        "kubernetes:core/v1:LimitRange",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Service",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
      ].sort(),
    );
    for (const r of added) expect(r.name).toContain(last);
    expect(resources.length - fewer.length).toBe(14);
  });
});

describe("teardown order (pulumi destroy deletes a resource before what it depends on)", () => {
  it("deletes the load balancer Service before the cluster, and the cluster before the VPC", () => {
    const service = one(resources, "kubernetes:core/v1:Service", "ft-dec26-lb");
    const cluster = one(resources, "eks:index:Cluster");
    const vpc = one(resources, "awsx:ec2:Vpc");
    expect(dependsTransitively(resources, service, cluster)).toBe(true);
    expect(dependsTransitively(resources, cluster, vpc)).toBe(true);
    expect(dependsTransitively(resources, cluster, service)).toBe(false);
  });

  it("deletes StorageClasses (and the claims on them) before the CSI drivers, the nodes and the cluster", () => {
    const cluster = one(resources, "eks:index:Cluster");
    const ebs = ofType(resources, "aws:eks/addon:Addon").find(
      (a) => a.inputs.addonName === "aws-ebs-csi-driver",
    ) as PlannedResource;
    const system = one(resources, "aws:eks/nodeGroup:NodeGroup", "-system");
    for (const sc of ofType(resources, "kubernetes:storage.k8s.io/v1:StorageClass")) {
      expect(dependsTransitively(resources, sc, ebs)).toBe(true);
      expect(dependsTransitively(resources, sc, system)).toBe(true);
      expect(dependsTransitively(resources, sc, cluster)).toBe(true);
    }
    const cohortApps = one(resources, "labkit:cohort:CohortApps");
    const gp3 = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass", "-gp3");
    expect(dependsTransitively(resources, cohortApps, gp3)).toBe(true);
  });

  it("deletes every claim (lab homes, model cache) and every route before the StorageClasses, the Gateway and the cluster", () => {
    const claims = ofType(resources, "kubernetes:core/v1:PersistentVolumeClaim");
    expect(claims.length).toBeGreaterThanOrEqual(cohort.learners.length);
    const gp3 = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass", "-gp3");
    const cache = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass", "-model-cache");
    const gateway = one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const cluster = one(resources, "eks:index:Cluster");
    for (const claim of claims) {
      expect(dependsTransitively(resources, claim, gp3)).toBe(true);
      expect(dependsTransitively(resources, claim, cache)).toBe(true);
      expect(dependsTransitively(resources, claim, cluster)).toBe(true);
    }
    for (const route of ofType(resources, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")) {
      expect(dependsTransitively(resources, route, gateway)).toBe(true);
    }
  });

  it("deletes the controller (its Deployment, claim and RoleBindings) before the learner namespaces, the gp3 StorageClass and the cluster", () => {
    const deployment = one(resources, "kubernetes:apps/v1:Deployment");
    const claim = one(resources, "kubernetes:core/v1:PersistentVolumeClaim", "-controller-data");
    const gp3 = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass", "-gp3");
    const cluster = one(resources, "eks:index:Cluster");
    const namespaces = ofType(resources, "kubernetes:core/v1:Namespace");
    for (const namespace of namespaces) expect(dependsTransitively(resources, deployment, namespace)).toBe(true);
    for (const r of [deployment, claim]) {
      expect(dependsTransitively(resources, r, gp3), r.name).toBe(true);
      expect(dependsTransitively(resources, r, cluster), r.name).toBe(true);
    }
    for (const namespace of namespaces) expect(dependsTransitively(resources, namespace, deployment)).toBe(false);
  });

  it("deletes EFS mount targets (their network interfaces) before the VPC's subnets", () => {
    const vpc = one(resources, "awsx:ec2:Vpc");
    for (const target of ofType(resources, "aws:efs/mountTarget:MountTarget")) {
      expect(dependsTransitively(resources, target, vpc)).toBe(true);
    }
  });

  it("lets nodes join only after the VPC CNI with its network policy agent is installed", () => {
    const cni = ofType(resources, "aws:eks/addon:Addon").find(
      (a) => a.inputs.addonName === "vpc-cni",
    ) as PlannedResource;
    for (const group of ofType(resources, "aws:eks/nodeGroup:NodeGroup"))
      expect(dependsTransitively(resources, group, cni)).toBe(true);
  });
});

describe("cohort variants", () => {
  it("uses one NAT gateway per zone, spot GPUs and the device plugin when the cohort asks", async () => {
    const variant = withPools(withCreate(cohort, { natGateways: "perAz", availabilityZones: 3 }), [
      { name: "a10", instanceType: "g5.xlarge", count: 2, capacity: "spot", sharing: "exclusive" },
      { name: "l40s", instanceType: "g6e.xlarge", count: 1, capacity: "onDemand", sharing: "hami" },
    ]);
    const list = await listResources(variant);
    expect(one(list, "awsx:ec2:Vpc").inputs).toMatchObject({
      natGateways: { strategy: "OnePerAz" },
      numberOfAvailabilityZones: 3,
    });
    expect(ofType(list, "aws:efs/mountTarget:MountTarget")).toHaveLength(3);
    expect(one(list, "aws:eks/nodeGroup:NodeGroup", "-gpu-a10").inputs.capacityType).toBe("SPOT");
    expect(
      ofType(list, "kubernetes:helm.sh/v3:Release")
        .map((r) => r.inputs.chart)
        .sort(),
    ).toEqual(["hami", "nvidia-device-plugin", "oci://docker.io/envoyproxy/gateway-helm"]);
  });

  it("empties and deletes the bucket on destroy when the cohort says purge", async () => {
    const list = await listResources({ ...cohort, artifacts: { onDestroy: "purge", retentionDays: 30 } });
    const bucket = one(list, "aws:s3/bucket:Bucket");
    expect(bucket.retainOnDelete).toBe(false);
    expect(bucket.inputs.forceDestroy).toBe(true);
  });

  it("requests and validates a certificate through Route 53 when the cohort names a hosted zone, and points the host at the load balancer", async () => {
    const list = await listResources({ ...cohort, domain: { name: "labs.example.org", hostedZoneId: "Z123" } });
    expect(one(list, "aws:acm/certificate:Certificate").inputs).toMatchObject({
      domainName: "labs.example.org",
      validationMethod: "DNS",
    });
    const records = ofType(list, "aws:route53/record:Record");
    // Validation of labs.example.org and *.labs.labs.example.org; the host and the labs' wildcard.
    expect(records.map((r) => r.inputs.type).sort()).toEqual(["CNAME", "CNAME", "CNAME", "CNAME"]);
    const host = records.find((r) => r.inputs.name === "labs.example.org") as PlannedResource;
    expect(host.inputs.records).toEqual(["ft-dec26-lb.elb.amazonaws.com"]);
    const labs = records.find((r) => r.inputs.name === "*.labs.labs.example.org") as PlannedResource;
    expect(labs.inputs.records).toEqual(["ft-dec26-lb.elb.amazonaws.com"]);
  });

  it("serves plain HTTP on port 80 without a domain", async () => {
    const list = await listResources({ ...cohort, domain: undefined });
    const spec = one(list, "kubernetes:core/v1:Service", "ft-dec26-lb").inputs.spec as {
      ports: Array<{ port: number }>;
    };
    expect(spec.ports.map((p) => p.port)).toEqual([80]);
    expect(ofType(list, "aws:acm/certificate:Certificate")).toHaveLength(0);
  });

  it("deploys only the cohort half, its bucket and its Pod Identity into an existing cluster named by a stack reference", async () => {
    const list = await listResources(withExisting(cohort, { stackReference: "acme/labkit-platform/prod" }));
    for (const absent of [
      "awsx:ec2:Vpc",
      "eks:index:Cluster",
      "aws:eks/nodeGroup:NodeGroup",
      "kubernetes:helm.sh/v3:Release",
      "aws:efs/fileSystem:FileSystem",
    ]) {
      expect(ofType(list, absent), absent).toHaveLength(0);
    }
    expect(ofType(list, "pulumi:pulumi:StackReference")).toHaveLength(1);
    expect(ofType(list, "aws:s3/bucket:Bucket")).toHaveLength(1);
    const associations = ofType(list, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    expect(associations[0].inputs.clusterName).toBe("labkit-platform");
  });

  it("reads the cluster name from an EKS ARN kubeconfig context, and asks for it otherwise", async () => {
    const arn = "arn:aws:eks:eu-central-1:123456789012:cluster/shared-gpu";
    const list = await listResources(withExisting(cohort, { kubeconfigContext: arn }));
    expect(ofType(list, "aws:eks/podIdentityAssociation:PodIdentityAssociation")[0].inputs.clusterName).toBe(
      "shared-gpu",
    );
    await expect(listResources(withExisting(cohort, { kubeconfigContext: "kind-dev" }))).rejects.toThrow(
      /pulumi config set labkit:clusterName/,
    );
  });
});
