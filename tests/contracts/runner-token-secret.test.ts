/**
 * Contract: the run-token Secret (charts/runner-job.ts `buildRunTokenSecret`) and the controller's
 * RBAC for it (charts/controller/controller-rbac.ts) rely on these Kubernetes rules, and the fake
 * API server (tests/harness/fake-kube-api.ts) plays them as the real one does.
 *
 * Rules (kubernetes/website):
 * - content/en/docs/concepts/architecture/garbage-collection.md (commit 0004c99d): "Cross-namespace
 *   owner references are disallowed by design. ... A namespaced owner **must** exist in the same
 *   namespace as the dependent. If it does not, the owner reference is treated as absent, and the
 *   dependent is subject to deletion once all owners are verified absent." Background cascading
 *   deletion: the owner goes at once, the garbage collector deletes its dependents after.
 * - content/en/docs/concepts/configuration/secret.md (commit 0066c6b6): "All key-value pairs in the
 *   `stringData` field are internally merged into the `data` field"; "If the Secret cannot be
 *   fetched (perhaps because it does not exist ...) the kubelet periodically retries running that
 *   Pod"; "None of a Pod's containers will start until all non-optional Secrets are available";
 *   an immutable Secret's `data` cannot change: "You can only delete and recreate the Secret."
 * - content/en/docs/reference/access-authn-authz/rbac.md (commit 7bde1aa4): "You cannot restrict
 *   `create` or `deletecollection` requests by their resource name."
 * - content/en/docs/reference/access-authn-authz/admission-controllers.md (commit 70096aff),
 *   OwnerReferencesPermissionEnforcement: "only users with **delete** permission to the object can
 *   change [its metadata.ownerReferences]"; `blockOwnerDeletion` needs **update** on the owner's
 *   `finalizers` subresource.
 */
import { BatchV1Api, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { controllerOptionsFor } from "../../charts/controller/controller-options";
import { controllerRbac } from "../../charts/controller/controller-rbac";
import { cohortYamlForController } from "../../charts/controller/controller-tokens";
import { buildRunTokenSecret, RUN_TOKEN_SECRET_KEY } from "../../charts/runner-job";
import { FakeKubeApi } from "../harness/fake-kube-api";
import { exampleRunnerJob, exampleWithRegistry } from "./rendered-example";

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the run-token Secret and the Kubernetes rules it relies on", () => {
  let api: FakeKubeApi;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  beforeEach(async () => {
    api = await FakeKubeApi.start();
    for (const name of ["lab-ada", "lab-bob"]) api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
    batch = api.kubeConfig().makeApiClient(BatchV1Api);
    core = api.kubeConfig().makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    await api.close();
  });

  const createJob = async () => {
    const job = exampleRunnerJob();
    return batch.createNamespacedJob({ namespace: job.metadata.namespace, body: job as V1Job });
  };
  const secretFor = (job: V1Job, namespace?: string) => {
    const secret = buildRunTokenSecret({
      cohortName: "ft-dec26",
      runId: "abc123def456",
      learnerId: "ada",
      exercise: "qlora-challenge",
      runToken: "tok-0123",
      ownerJob: { name: job.metadata?.name ?? "", uid: job.metadata?.uid ?? "" },
    });
    return namespace ? { ...secret, metadata: { ...secret.metadata, namespace } } : secret;
  };

  it("keeps the Secret in its owner Job's namespace, the only place an owner counts", async () => {
    const job = await createJob();
    const secret = secretFor(job);
    expect(secret.metadata.namespace).toBe(job.metadata?.namespace);
    await core.createNamespacedSecret({ namespace: secret.metadata.namespace, body: secret as never });
    // The same owner named from another namespace is treated as absent: the dependent is collected.
    const elsewhere = secretFor(job, "lab-bob");
    await core.createNamespacedSecret({ namespace: "lab-bob", body: elsewhere as never });
    await until(() => api.get("Secret", "lab-bob", elsewhere.metadata.name) === undefined, "collecting the stray");
    expect(api.get("Secret", "lab-ada", secret.metadata.name)).toBeDefined();
  });

  it("is deleted by the garbage collector after its Job (background propagation)", async () => {
    const job = await createJob();
    const secret = secretFor(job);
    await core.createNamespacedSecret({ namespace: secret.metadata.namespace, body: secret as never });
    await batch.deleteNamespacedJob({
      namespace: "lab-ada",
      name: job.metadata?.name ?? "",
      propagationPolicy: "Background",
    });
    await until(() => api.get("Secret", "lab-ada", secret.metadata.name) === undefined, "collecting the Secret");
  });

  it("stores the token under `data` (stringData is merged into data on write)", async () => {
    const job = await createJob();
    const secret = secretFor(job);
    const created = await core.createNamespacedSecret({ namespace: "lab-ada", body: secret as never });
    expect(created.stringData).toBeUndefined();
    expect(Buffer.from(created.data?.[RUN_TOKEN_SECRET_KEY] ?? "", "base64").toString()).toBe("tok-0123");
  });

  it("cannot change an immutable Secret's token: a new token means delete and recreate", async () => {
    const job = await createJob();
    const secret = secretFor(job);
    await core.createNamespacedSecret({ namespace: "lab-ada", body: secret as never });
    await expect(
      core.replaceNamespacedSecret({
        namespace: "lab-ada",
        name: secret.metadata.name,
        body: { ...secret, stringData: { [RUN_TOKEN_SECRET_KEY]: "another" } } as never,
      }),
    ).rejects.toMatchObject({ code: 422 });
  });

  it("refuses an owner reference without a uid (the Job must exist before its Secret)", async () => {
    const secret = secretFor({ metadata: { name: "run-abc123def456", uid: "" } });
    await expect(core.createNamespacedSecret({ namespace: "lab-ada", body: secret as never })).rejects.toMatchObject({
      code: 422,
    });
  });

  it("is read by the Job as a non-optional secretKeyRef, so the runner never starts without its token", () => {
    const env = exampleRunnerJob().spec.template.spec.containers[0].env.find((e) => e.name === "LABKIT_RUN_TOKEN");
    expect(env).toEqual({
      name: "LABKIT_RUN_TOKEN",
      valueFrom: { secretKeyRef: { name: "run-abc123def456-token", key: RUN_TOKEN_SECRET_KEY, optional: false } },
    });
  });

  it("needs create and delete on secrets, names no Secret (create cannot be narrowed by name) and sets no blockOwnerDeletion", () => {
    const cohort = exampleWithRegistry();
    const options = controllerOptionsFor(cohort, cohortYamlForController(cohort), { bucketName: "acme-artifacts" });
    const rules = controllerRbac(options).flatMap((o) => ("rules" in o ? (o.rules ?? []) : []));
    const secretRules = rules.filter((r) => r.resources?.includes("secrets"));
    expect(secretRules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"] }]);
    // ownerReferences need delete on the Secret; blockOwnerDeletion would need update on jobs/finalizers.
    expect(rules.some((r) => r.resources?.includes("jobs/finalizers"))).toBe(false);
    const job = { metadata: { name: "run-abc123def456", uid: "uid-1" } };
    expect(secretFor(job).metadata.ownerReferences?.[0]).not.toHaveProperty("blockOwnerDeletion");
  });
});
