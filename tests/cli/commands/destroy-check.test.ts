import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_RESOURCES, FakeKubeApi, type ResourceType } from "../../harness/fake-kube-api";
import { DUMMY_AWS_ENV } from "../../harness/moto-s3";
import { runLabkit } from "../../harness/run-cli";

// PersistentVolumes are cluster-scoped objects of the core API; the shared fake does not list them yet.
if (!FAKE_RESOURCES.some((r) => r.kind === "PersistentVolume")) {
  (FAKE_RESOURCES as ResourceType[]).push({
    group: "",
    version: "v1",
    plural: "persistentvolumes",
    kind: "PersistentVolume",
    namespaced: false,
  });
}

const urn = (type: string, name: string) => `urn:pulumi:dev::labkit::${type}::${name}`;
const VPC = urn("aws:ec2/vpc:Vpc", "net-vpc");
const CLUSTER = urn("aws:eks/cluster:Cluster", "cluster-eks");
const PROVIDER = urn("pulumi:providers:kubernetes", "cluster-k8s");
const EBS_ADDON = urn("aws:eks/addon:Addon", "ebs-csi");

/** A `pulumi stack export` document: VPC ← cluster ← provider ← (gateway Service, lab-ada namespace), with the EBS CSI addon. */
function stackExport(options: { labDependsOnCsi: boolean }) {
  return {
    version: 3,
    deployment: {
      resources: [
        { urn: VPC, type: "aws:ec2/vpc:Vpc", dependencies: [] },
        { urn: CLUSTER, type: "aws:eks/cluster:Cluster", dependencies: [VPC] },
        { urn: PROVIDER, type: "pulumi:providers:kubernetes", dependencies: [CLUSTER] },
        {
          urn: EBS_ADDON,
          type: "aws:eks/addon:Addon",
          dependencies: [CLUSTER],
          outputs: { addonName: "aws-ebs-csi-driver" },
        },
        {
          urn: urn("kubernetes:core/v1:Service", "gateway"),
          type: "kubernetes:core/v1:Service",
          provider: `${PROVIDER}::p-1`,
          dependencies: [],
          outputs: { metadata: { name: "envoy", namespace: "labkit-gateway" } },
        },
        {
          urn: urn("kubernetes:core/v1:Namespace", "lab-ada"),
          type: "kubernetes:core/v1:Namespace",
          provider: `${PROVIDER}::p-1`,
          dependencies: options.labDependsOnCsi ? [EBS_ADDON] : [],
          outputs: { metadata: { name: "lab-ada" } },
        },
      ],
    },
  };
}

let api: FakeKubeApi;
let dir: string;

beforeEach(async () => {
  api = await FakeKubeApi.start();
  dir = await mkdtemp(join(tmpdir(), "labkit-destroy-check-"));
  await writeFile(join(dir, "kubeconfig"), api.kubeconfigYaml());
  await writeFile(
    join(dir, "outputs.json"),
    JSON.stringify({ artifactBucket: "labkit-ft-dec26-artifacts", cohortName: "ft-dec26", region: "eu-central-1" }),
  );
  for (const name of ["labkit-gateway", "lab-ada"])
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  api.seed({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "envoy", namespace: "labkit-gateway" },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
    status: { loadBalancer: { ingress: [{ hostname: "k8s-gw-1234.elb.eu-central-1.amazonaws.com" }] } },
  });
  api.seed({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "home", namespace: "lab-ada" },
    spec: { volumeName: "pvc-ada-home" },
  });
  api.seed({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pvc-ada-home" },
    spec: {
      persistentVolumeReclaimPolicy: "Delete",
      csi: { driver: "ebs.csi.aws.com", volumeHandle: "vol-0a1b2c3d4e5f60718" },
      claimRef: { namespace: "lab-ada", name: "home" },
    },
  });
});
afterEach(async () => {
  await api.close();
});

async function destroyCheck(stack: object, ...args: string[]) {
  await writeFile(join(dir, "stack.json"), JSON.stringify(stack));
  return runLabkit(
    [
      "destroy-check",
      "--cohort",
      "workshop/cohort.example.yaml",
      "--kubeconfig",
      join(dir, "kubeconfig"),
      "--stack-export",
      join(dir, "stack.json"),
      "--stack-outputs",
      join(dir, "outputs.json"),
      ...args,
    ],
    { env: DUMMY_AWS_ENV },
  );
}

describe("labkit destroy-check", () => {
  it("passes when the graph deletes the load balancer Service and the learner volume before the cluster, keeps the bucket, and says the ENIs were not checked", async () => {
    const result = await destroyCheck(stackExport({ labDependsOnCsi: true }));

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok\s+load balancer: Service labkit-gateway\/envoy \(k8s-gw-1234/);
    expect(result.stdout).toMatch(/ok\s+volume: PVC lab-ada\/home → pvc-ada-home \(vol-0a1b2c3d4e5f60718\)/);
    expect(result.stdout).toMatch(/kept\s+bucket: s3:\/\/labkit-ft-dec26-artifacts/);
    expect(result.stdout).toMatch(/NOT CHECKED\s+network interface/);
    expect(result.stdout).toMatch(/ok\s+ordering: cluster cluster-eks\n\s+depends on the VPC/);
    expect(result.stdout).toContain("nothing would be orphaned");
  });

  it("exits 1 and names the fix for a LoadBalancer Service outside the stack and a volume whose claim may outlive its CSI driver", async () => {
    api.seed({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "demo", namespace: "lab-ada" },
      spec: { type: "LoadBalancer", ports: [{ port: 8888 }] },
    });

    const result = await destroyCheck(stackExport({ labDependsOnCsi: false }), "--json");

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.orphans).toBe(2);
    const orphans = report.findings.filter((f: { outcome: string }) => f.outcome === "orphaned");
    expect(orphans.map((f: { subject: string }) => f.subject)).toEqual([
      "Service lab-ada/demo",
      "PVC lab-ada/home → pvc-ada-home (vol-0a1b2c3d4e5f60718)",
    ]);
    expect(orphans[0].fix).toContain("kubectl delete service -n lab-ada demo");
    expect(orphans[1].detail).toContain("aws-ebs-csi-driver");
    expect(result.stderr).toContain("pulumi destroy would leave 2 things behind");
  });

  it("reports a volume with reclaim policy Retain as orphaned whatever the graph says", async () => {
    const pv = api.get("PersistentVolume", undefined, "pvc-ada-home")!;
    api.put({ ...pv, spec: { ...(pv.spec as object), persistentVolumeReclaimPolicy: "Retain" } });

    const result = await destroyCheck(stackExport({ labDependsOnCsi: true }));

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ORPHANED\s+volume: PVC lab-ada\/home/);
    expect(result.stdout).toContain("aws ec2 delete-volume --volume-id vol-0a1b2c3d4e5f60718");
  });
});
