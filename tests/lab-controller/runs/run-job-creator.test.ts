/**
 * The runner token's way to the runner: a per-run Secret owned by the Job (not a plain env value),
 * a token that works only while its run is active and before its Job's deadline, and a restored
 * Secret for a pod that waits for a missing one. Against the fake Kubernetes API.
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { learnerNamespace } from "../../../charts/names";
import { runTokenSecretName } from "../../../charts/runner-job";
import type { Run } from "../../../lab-controller/runs/run";
import { RUN_TOKEN_MARGIN_MS } from "../../../lab-controller/runs/run-job-creator";
import { validateObject } from "../../charts/validate-object";
import {
  type ControllerFixture,
  finishPod,
  jobOf,
  runTokenOf,
  startControllerFixture,
  startPod,
} from "../controller-fixture";

async function postEvent(fixture: ControllerFixture, runId: string, token: string, event: unknown) {
  const response = await fetch(`${fixture.url}/v1/runs/${runId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  return { status: response.status, body: await response.json() };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The parts of a stored Job and Secret these tests read. */
interface StoredJob {
  kind: string;
  metadata: { name: string; uid: string; labels: Record<string, string> };
  spec: { activeDeadlineSeconds: number; template: { spec: { containers: Array<{ env: Array<{ name: string }> }> } } };
}
interface StoredSecret {
  kind: string;
  immutable?: boolean;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels: Record<string, string>;
    ownerReferences: unknown[];
  };
}

describe("the runner token of a run", () => {
  let f: ControllerFixture;
  beforeEach(async () => {
    f = await startControllerFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  const submit = async (who: "ada" | "bob" = "ada"): Promise<Run> => {
    const submitted = await f.call(who, "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    expect(submitted.status).toBe(201);
    return submitted.body.run as Run;
  };
  const secretOf = (run: Run) => f.api.get("Secret", learnerNamespace(run.learnerId), runTokenSecretName(run.id));

  it("reaches the runner through a Secret in the learner's namespace, owned by the Job, that the Job's env refers to", async () => {
    const run = await submit();
    const job = jobOf(f, run) as unknown as StoredJob;
    const secret = secretOf(run) as unknown as StoredSecret;
    expect(() => validateObject(job)).not.toThrow();
    expect(() => validateObject(secret)).not.toThrow();
    expect(secret.metadata.namespace).toBe("lab-ada");
    expect(secret.metadata.labels).toEqual(job.metadata.labels);
    expect(secret.metadata.ownerReferences).toEqual([
      { apiVersion: "batch/v1", kind: "Job", name: job.metadata.name, uid: job.metadata.uid, controller: true },
    ]);
    expect(secret.immutable).toBe(true);
    const env = job.spec.template.spec.containers[0].env.find((e) => e.name === "LABKIT_RUN_TOKEN");
    expect(env).toEqual({
      name: "LABKIT_RUN_TOKEN",
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "token", optional: false } },
    });
    // The store keeps the hash of exactly the token the Secret holds; the Job holds none.
    const token = runTokenOf(f, run);
    expect(f.store.runTokenSha256(run.id)).toBe(sha256(token));
    expect(JSON.stringify(job)).not.toContain(token);
    expect(f.api.requestsMatching("POST", /^\/api\/v1\/namespaces\/lab-ada\/secrets$/)).toHaveLength(1);
  });

  it("goes with the Job: cancelling the run deletes the Job, and the garbage collector its Secret", async () => {
    const run = await submit("bob");
    expect(secretOf(run)).toBeDefined();
    expect((await f.call("bob", "DELETE", `/v1/runs/${run.id}`)).body.state).toBe("cancelled");
    await until(() => jobOf(f, run) === undefined && secretOf(run) === undefined, "the Job and its Secret going");
  });

  it("stops working once its run has succeeded, or was cancelled (401)", async () => {
    const done = await submit("ada");
    const cancelled = await submit("bob");
    const doneToken = runTokenOf(f, done);
    const cancelledToken = runTokenOf(f, cancelled);
    startPod(f, done);
    await f.waitForRun(done.id, (r) => r.state === "running");
    expect((await postEvent(f, done.id, doneToken, { type: "progress", seq: 1, step: 1 })).status).toBe(202);
    finishPod(f, done, { exitCode: 0, summary: { runId: done.id, status: "succeeded", peakVramMiB: 3000 } });
    await f.waitForRun(done.id, (r) => r.state === "succeeded");
    const late = await postEvent(f, done.id, doneToken, {
      type: "metrics",
      seq: 2,
      stage: "after",
      values: { rougeL: 0.99 },
    });
    expect(late.status).toBe(401);
    await f.call("bob", "DELETE", `/v1/runs/${cancelled.id}`);
    expect((await postEvent(f, cancelled.id, cancelledToken, { type: "progress", seq: 1, step: 1 })).status).toBe(401);
    expect(f.store.getRun(done.id)?.metrics?.after).toBeUndefined();
  });

  it("stops working after its Job's deadline plus a margin, even while the store still says running", async () => {
    const run = await submit();
    const token = runTokenOf(f, run);
    const deadlineMs = (jobOf(f, run) as unknown as StoredJob).spec.activeDeadlineSeconds * 1000;
    const issuedAt = Date.now();
    expect(f.store.runTokenSha256(run.id, issuedAt + deadlineMs)).toBe(sha256(token));
    expect(f.store.runTokenSha256(run.id, issuedAt + deadlineMs + RUN_TOKEN_MARGIN_MS + 5_000)).toBeUndefined();
    f.store.updateRun(run.id, { runTokenExpiresAtMs: Date.now() - 1 });
    expect((await postEvent(f, run.id, token, { type: "progress", seq: 1, step: 1 })).status).toBe(401);
  });

  it("gives a pod that waits for a missing token Secret a new one, and refuses the lost token", async () => {
    const run = await submit();
    const lostToken = runTokenOf(f, run);
    const namespace = learnerNamespace(run.learnerId);
    const name = runTokenSecretName(run.id);
    // As if the controller had stopped between creating the Job and its Secret.
    f.api.remove("Secret", namespace, name);
    const pod = startPod(f, run);
    f.api.put({
      ...pod,
      status: {
        phase: "Pending",
        containerStatuses: [
          {
            name: "runner",
            ready: false,
            restartCount: 0,
            image: "runner",
            imageID: "",
            // What the kubelet reports while a non-optional Secret is missing (it retries).
            state: { waiting: { reason: "CreateContainerConfigError", message: `secret "${name}" not found` } },
          },
        ],
      },
    });
    await until(() => secretOf(run) !== undefined, "a new token Secret");
    const secret = secretOf(run) as unknown as StoredSecret;
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Job", uid: jobOf(f, run)?.metadata.uid }),
    ]);
    const token = runTokenOf(f, run);
    expect(token).not.toBe(lostToken);
    // The pod's status still says it waits (the kubelet has not retried yet): the Secret is kept.
    await new Promise((r) => setTimeout(r, 600));
    expect(secretOf(run)?.metadata.uid).toBe(secret.metadata.uid);
    expect(f.store.runTokenSha256(run.id)).toBe(sha256(token));
    expect((await postEvent(f, run.id, lostToken, { type: "progress", seq: 1, step: 1 })).status).toBe(401);
    expect((await postEvent(f, run.id, token, { type: "progress", seq: 1, step: 1 })).status).toBe(202);
  });
});
