import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LABELS, learnerNamespace, SYSTEM_NAMESPACE } from "../../../charts/names";
import { FakeKubeApi } from "../../harness/fake-kube-api";
import { DUMMY_AWS_ENV, type MotoS3, startMotoS3 } from "../../harness/moto-s3";
import { runLabkit } from "../../harness/run-cli";
import { makeRun } from "../../teardown/run-artifacts";

const COHORT_FILE = "workshop/cohort.example.yaml";
const COHORT = "ft-dec26";
let api: FakeKubeApi;
let kubeconfig: string;
let s3: MotoS3;

beforeAll(async () => {
  s3 = await startMotoS3();
});
afterAll(async () => {
  await s3?.stop();
});

beforeEach(async () => {
  api = await FakeKubeApi.start();
  kubeconfig = join(await mkdtemp(join(tmpdir(), "labkit-reset-")), "kubeconfig");
  await writeFile(kubeconfig, api.kubeconfigYaml());
  const cohortLabels = { [LABELS.cohort]: COHORT };
  api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: SYSTEM_NAMESPACE, labels: cohortLabels } });
  api.seed({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "model-cache", namespace: SYSTEM_NAMESPACE },
    spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "200Gi" } } },
  });
  for (const learner of ["ada", "grace"]) {
    const namespace = learnerNamespace(learner);
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: cohortLabels } });
    api.seed({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "home", namespace },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } },
    });
    api.seed({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: `run-${learner}-1`,
        namespace,
        labels: { [LABELS.runId]: `${learner}-1`, [LABELS.learner]: learner },
      },
      spec: { template: { spec: { containers: [], restartPolicy: "Never" } } },
      status: {
        succeeded: 1,
        conditions: [{ type: "Complete", status: "True" }],
        completionTime: "2026-12-08T10:00:00Z",
      },
    });
  }
  // Another team's namespace on the same cluster: reset must not touch it.
  api.seed({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "lab-other", labels: { [LABELS.cohort]: "other" } },
  });
});
afterEach(async () => {
  await api.close();
});

const reset = (...args: string[]) =>
  runLabkit(["reset", "--cohort", COHORT_FILE, "--kubeconfig", kubeconfig, ...args], { env: DUMMY_AWS_ENV });

const namespaces = () => api.list("Namespace").map((n) => n.metadata.name);

function startRun(learner: string) {
  api.seed({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: `run-${learner}-2`,
      namespace: learnerNamespace(learner),
      labels: { [LABELS.runId]: `${learner}-2`, [LABELS.learner]: learner },
    },
    spec: { template: { spec: { containers: [], restartPolicy: "Never" } } },
    status: { active: 1 },
  });
}

describe("labkit reset against a Kubernetes API", () => {
  it("deletes the learners' namespaces with their volumes and runs, and keeps labkit-system's model cache", async () => {
    const result = await reset("--yes", "--no-export");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("2 learner namespaces deleted");
    expect(namespaces().sort()).toEqual(["lab-other", SYSTEM_NAMESPACE]);
    expect(api.list("PersistentVolumeClaim").map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      `${SYSTEM_NAMESPACE}/model-cache`,
    ]);
    expect(api.list("Job")).toEqual([]);
  });

  it("refuses while a run is active, naming it, and changes nothing", async () => {
    startRun("grace");

    const result = await reset("--yes", "--no-export");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("1 run is still active; nothing was changed");
    expect(result.stderr).toContain("lab-grace/run-grace-2 (run grace-2)");
    expect(result.stderr).toContain("--force");
    expect(namespaces()).toContain("lab-grace");
    expect(api.requestsMatching("DELETE", /namespaces/)).toEqual([]);
  });

  it("stops active runs with --force", async () => {
    startRun("ada");

    const result = await reset("--yes", "--no-export", "--force");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("--force: stopping 1 active run");
    expect(namespaces()).not.toContain("lab-ada");
  });

  it("exits 2 without a terminal unless --yes is given, and changes nothing", async () => {
    const result = await reset("--no-export");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pass --yes");
    expect(namespaces()).toContain("lab-ada");
  });

  it("exports first and deletes only after the export verified every run", async () => {
    const runs = [makeRun(COHORT, "ada", "r1"), makeRun(COHORT, "grace", "r1")];
    for (const run of runs) {
      await s3.put("reset-ok", run.resultsKey, JSON.stringify(run.results));
      await s3.put("reset-ok", run.adapterKey, run.adapter);
    }
    const dir = join(await mkdtemp(join(tmpdir(), "labkit-reset-export-")), "export");

    const result = await reset("--yes", "--bucket", "reset-ok", "--endpoint-url", s3.endpointUrl, "--export-dir", dir);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("exported 2 of 2 runs");
    expect(existsSync(join(dir, "manifest.json"))).toBe(true);
    expect(existsSync(join(dir, "ada/r1/adapter.tar.gz"))).toBe(true);
    expect(namespaces()).not.toContain("lab-ada");
  });

  it("deletes nothing when the export finds a corrupt adapter", async () => {
    const run = makeRun(COHORT, "ada", "r1");
    await s3.put("reset-corrupt", run.resultsKey, JSON.stringify(run.results));
    await s3.put("reset-corrupt", run.adapterKey, Buffer.from("not the adapter the runner wrote"));
    const dir = join(await mkdtemp(join(tmpdir(), "labkit-reset-export-")), "export");

    const result = await reset(
      "--yes",
      "--bucket",
      "reset-corrupt",
      "--endpoint-url",
      s3.endpointUrl,
      "--export-dir",
      dir,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("learner `ada`, run `r1`");
    expect(result.stderr).toContain("nothing was deleted");
    expect(namespaces()).toContain("lab-ada");
    expect(api.requestsMatching("DELETE", /namespaces/)).toEqual([]);
  });
});
