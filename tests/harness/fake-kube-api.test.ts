import { BatchV1Api, CoreV1Api, KubernetesObjectApi, makeInformer, type V1Job } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeKubeApi } from "./fake-kube-api";

const job = (name: string, labels: Record<string, string> = {}): V1Job => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace: "lab-ada", labels },
  spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "runner", image: "runner:1" }] } } },
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the fake Kubernetes API server, driven through @kubernetes/client-node", () => {
  let api: FakeKubeApi;
  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "lab-ada" } });
  });
  afterEach(async () => {
    await api.close();
  });

  it("creates a Job once and answers a second create with 409 AlreadyExists", async () => {
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    const created = await batch.createNamespacedJob({ namespace: "lab-ada", body: job("run-1") });
    expect(created.metadata?.uid).toBeTruthy();
    await expect(batch.createNamespacedJob({ namespace: "lab-ada", body: job("run-1") })).rejects.toMatchObject({
      code: 409,
    });
    expect(api.list("Job", "lab-ada")).toHaveLength(1);
  });

  it("answers 404 for a missing object and for a create in a missing namespace", async () => {
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    await expect(batch.readNamespacedJob({ name: "nope", namespace: "lab-ada" })).rejects.toMatchObject({ code: 404 });
    await expect(batch.createNamespacedJob({ namespace: "lab-bob", body: job("run-2") })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("filters lists by label selector across namespaces", async () => {
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "lab-bob" } });
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: "lab-ada", body: job("a", { team: "x" }) });
    await batch.createNamespacedJob({
      namespace: "lab-bob",
      body: { ...job("b", { team: "y" }), metadata: { name: "b", labels: { team: "y" } } },
    });
    const list = await batch.listJobForAllNamespaces({ labelSelector: "team in (x,z)" });
    expect(list.items.map((j) => j.metadata?.name)).toEqual(["a"]);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  it("deletes a Job's pods with Background propagation and orphans them by default", async () => {
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    const core = api.kubeConfig().makeApiClient(CoreV1Api);
    for (const name of ["kept", "gone"]) {
      const j = await batch.createNamespacedJob({ namespace: "lab-ada", body: job(name) });
      api.seed({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${name}-pod`,
          namespace: "lab-ada",
          ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name, uid: j.metadata?.uid ?? "" }],
        },
      });
    }
    await batch.deleteNamespacedJob({ name: "kept", namespace: "lab-ada" });
    await batch.deleteNamespacedJob({ name: "gone", namespace: "lab-ada", propagationPolicy: "Background" });
    const pods = await core.listNamespacedPod({ namespace: "lab-ada" });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(["kept-pod"]);
  });

  it("serves discovery, so the generic object API can resolve kinds", async () => {
    const objects = KubernetesObjectApi.makeApiClient(api.kubeConfig());
    const created = await objects.create(job("generic"));
    expect(created.metadata?.name).toBe("generic");
    const read = await objects.read({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "generic", namespace: "lab-ada" },
    });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
  });

  it("streams watch events to an informer, which re-watches after the stream breaks and re-lists after 410 Gone", async () => {
    const kc = api.kubeConfig();
    const batch = kc.makeApiClient(BatchV1Api);
    const informer = makeInformer<V1Job>(kc, "/apis/batch/v1/jobs", () => batch.listJobForAllNamespaces());
    const seen: string[] = [];
    informer.on("add", (j) => seen.push(`add ${j.metadata?.name}`));
    informer.on("update", (j) => seen.push(`update ${j.metadata?.name}`));
    informer.on("delete", (j) => seen.push(`delete ${j.metadata?.name}`));
    await informer.start();
    await batch.createNamespacedJob({ namespace: "lab-ada", body: job("w1") });
    await until(() => seen.includes("add w1"));
    api.breakWatches();
    const stored = api.get("Job", "lab-ada", "w1");
    if (!stored) throw new Error("the Job was not stored");
    api.put({ ...stored, metadata: { ...stored.metadata, labels: { x: "1" } } });
    await until(() => seen.includes("update w1"));
    api.compactHistory();
    api.breakWatches();
    api.remove("Job", "lab-ada", "w1");
    await until(() => seen.includes("delete w1"));
    await informer.stop();
  });
});
