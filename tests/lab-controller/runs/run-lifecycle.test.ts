import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LABELS, learnerNamespace, runJobName } from "../../../charts/names";
import { GPU_NODE_DAEMON_RESERVE_MIB } from "../../../charts/runner-job";
import type { Run } from "../../../lab-controller/runs/run";
import {
  type ControllerFixture,
  finishPod,
  jobOf,
  runTokenOf,
  startControllerFixture,
  startPod,
  TOKENS,
} from "../controller-fixture";

type JobEnv = Array<{ name: string; value: string }>;

function jobContainer(fixture: ControllerFixture, run: Run) {
  const job = jobOf(fixture, run) as any;
  return job.spec.template.spec.containers[0] as {
    env: JobEnv;
    resources: { limits: Record<string, string>; requests: Record<string, string> };
  };
}

async function postEvent(fixture: ControllerFixture, runId: string, token: string, event: unknown) {
  const response = await fetch(`${fixture.url}/v1/runs/${runId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  return { status: response.status, body: await response.json() };
}

describe("lab-controller run lifecycle against the fake Kubernetes API", () => {
  let f: ControllerFixture;
  beforeEach(async () => {
    f = await startControllerFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  it("admits a run, creates its Job with the runner contract, follows the pod and finishes from the termination message", async () => {
    const submitted = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    expect(submitted.status).toBe(201);
    expect(submitted.body.decision).toBe("admitted");
    const run = submitted.body.run as Run;
    expect(run.state).toBe("starting");
    expect(run.grantedMiB).toBeGreaterThan(run.estimate.totalMiB);

    const job = jobOf(f, run) as any;
    expect(job.metadata.namespace).toBe(learnerNamespace("ada"));
    expect(job.metadata.labels[LABELS.runId]).toBe(run.id);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    // 120 GPU-minutes at a grant of about a tenth of the GPU: over an hour of wall time.
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(3600);
    const container = jobContainer(f, run);
    expect(container.resources.limits["nvidia.com/gpumem"]).toBe(String(run.grantedMiB));
    expect(container.resources.limits["nvidia.com/gpu"]).toBe("1");
    // Host memory: the run's share of the node (32Gi allocatable, less the DaemonSets' reserve), as
    // large as its share of the node's GPU memory, requested and limited alike.
    const hostMiB = Math.floor(((32 * 1024 - GPU_NODE_DAEMON_RESERVE_MIB) * (run.grantedMiB ?? 0)) / 46068);
    expect(container.resources.limits.memory).toBe(`${hostMiB}Mi`);
    expect(container.resources.requests.memory).toBe(`${hostMiB}Mi`);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(env.LABKIT_RUN_ID).toBe(run.id);
    expect(JSON.parse(env.LABKIT_RUN_SPEC).exercise).toBe("lora-warmup");
    expect(env.LABKIT_EVENTS_URL).toBe(
      `http://lab-controller.labkit-system.svc.cluster.local:8080/v1/runs/${run.id}/events`,
    );
    expect(env.LABKIT_ARTIFACTS_URI).toBe(
      `s3://labkit-test-artifacts/cohorts/test-cohort/learners/lab-ada/runs/${run.id}/`,
    );
    expect(env.HF_HUB_OFFLINE).toBe("1");
    // The store keeps the runner token's hash only.
    expect(f.store.runTokenSha256(run.id)).toMatch(/^[0-9a-f]{64}$/);
    expect(f.store.runTokenSha256(run.id)).not.toBe(runTokenOf(f, run));
    // The Job itself holds no token: the runner reads it from the run's Secret.
    expect(env.LABKIT_RUN_TOKEN).toBeUndefined();
    expect(JSON.stringify(job)).not.toContain(runTokenOf(f, run));

    startPod(f, run);
    await f.waitForRun(run.id, (r) => r.state === "running");
    const token = runTokenOf(f, run);
    expect(
      (await postEvent(f, run.id, token, { type: "progress", seq: 1, step: 5, totalSteps: 20, loss: 1.9 })).status,
    ).toBe(202);
    expect(
      (
        await postEvent(f, run.id, token, {
          type: "memory",
          seq: 2,
          allocatedMiB: 2000,
          reservedMiB: 2600,
          peakMiB: 2700,
        })
      ).status,
    ).toBe(202);
    const duplicate = await postEvent(f, run.id, token, {
      type: "progress",
      seq: 1,
      step: 5,
      totalSteps: 20,
      loss: 1.9,
    });
    expect(duplicate.body.accepted).toBe(false);
    expect((await f.call("ada", "GET", `/v1/runs/${run.id}/loss`)).body.points).toEqual([{ step: 5, loss: 1.9 }]);

    finishPod(f, run, {
      exitCode: 0,
      summary: {
        runId: run.id,
        status: "succeeded",
        peakVramMiB: 3100,
        before: { rougeL: 0.21 },
        after: { rougeL: 0.44 },
        finalLoss: 0.8,
      },
    });
    const done = await f.waitForRun(run.id, (r) => r.state === "succeeded");
    expect(done.peakVramMiB).toBe(3100);
    expect(done.metrics?.after?.rougeL).toBe(0.44);
    expect(done.lastLoss).toBe(0.8);
    expect(f.store.gpuMinutesByLearner().get("ada")).toBeGreaterThanOrEqual(0);

    const read = await f.call("ada", "GET", `/v1/runs/${run.id}`);
    expect(read.body.state).toBe("succeeded");
    const board = await f.call("bob", "GET", "/v1/leaderboard");
    expect(board.body.entries).toEqual([
      {
        learnerId: "ada",
        runId: run.id,
        exercise: "lora-warmup",
        before: { rougeL: 0.21 },
        after: { rougeL: 0.44 },
        verified: true,
      },
    ]);
    expect(f.api.requestsMatching("POST", /\/jobs$/)).toHaveLength(1);
  });

  it("cancels a run: the run ends cancelled and its Job and pod are deleted", async () => {
    const { body } = await f.call("bob", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    startPod(f, body.run);
    await f.waitForRun(body.run.id, (r) => r.state === "running");
    const cancelled = await f.call("bob", "DELETE", `/v1/runs/${body.run.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe("cancelled");
    expect(cancelled.body.reason).toBe("cancelled by the learner");
    expect(jobOf(f, body.run)).toBeUndefined();
    expect(f.api.list("Pod", learnerNamespace("bob"))).toHaveLength(0);
    // Cancelling again changes nothing.
    expect((await f.call("bob", "DELETE", `/v1/runs/${body.run.id}`)).body.state).toBe("cancelled");
  });

  it("re-adopts a running Job after a controller restart, and creates no second Job", async () => {
    const { body } = await f.call("cleo", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const run = body.run as Run;
    startPod(f, run);
    await f.waitForRun(run.id, (r) => r.state === "running");
    await f.stopController();
    // While the controller is down, the run finishes.
    finishPod(f, run, {
      exitCode: 0,
      summary: { runId: run.id, status: "succeeded", peakVramMiB: 2500, after: { perplexity: 3.2 } },
    });
    await f.startController();
    const done = await f.waitForRun(run.id, (r) => r.state === "succeeded");
    expect(done.metrics?.after?.perplexity).toBe(3.2);
    expect(f.api.requestsMatching("POST", /\/namespaces\/lab-cleo\/jobs$/)).toHaveLength(1);
  });

  it("creates the Job after a crash between deciding to place a run and creating its Job", async () => {
    const { body } = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    await f.stopController();
    // The crash happened before the create reached the API server.
    f.api.remove("Job", learnerNamespace("ada"), runJobName(body.run.id));
    await f.startController();
    await expect.poll(() => jobOf(f, body.run), { timeout: 5000 }).toBeDefined();
    expect((await f.call("ada", "GET", `/v1/runs/${body.run.id}`)).body.state).toBe("starting");
  });

  it("fails a run that ran out of GPU memory with `exceeded its VRAM limit of X`", async () => {
    const { body } = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const run = body.run as Run;
    startPod(f, run);
    finishPod(f, run, {
      exitCode: 1,
      summary: {
        runId: run.id,
        status: "failed",
        failureKind: "oom",
        reason: "CUDA out of memory",
        peakVramMiB: run.grantedMiB ?? 0,
      },
    });
    const failed = await f.waitForRun(run.id, (r) => r.state === "failed");
    expect(failed.reason).toBe(`exceeded its VRAM limit of ${run.grantedMiB} MiB (CUDA out of memory)`);
  });

  it("tells a learner an OOMKilled run ran out of host memory, not VRAM", async () => {
    const { body } = await f.call("bob", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    startPod(f, body.run);
    finishPod(f, body.run, { exitCode: 137, reason: "OOMKilled", message: "Killed" });
    const failed = await f.waitForRun(body.run.id, (r) => r.state === "failed");
    expect(failed.reason).toMatch(/^ran out of host memory \(RAM\)/);
    expect(failed.reason).toContain("not of GPU memory");
  });

  it("refuses a run that needs more VRAM than the learner's quota, and suggests configs that fit", async () => {
    const spec = {
      exercise: "qlora-challenge",
      baseModel: "Qwen/Qwen2.5-3B-Instruct",
      training: { microBatchSize: 32, maxSeqLength: 4096, gradientCheckpointing: false },
    };
    const refused = await f.call("ada", "POST", "/v1/runs", { spec });
    expect(refused.status).toBe(422);
    expect(refused.body.decision).toBe("refused");
    expect(refused.body.reason).toMatch(/more than your quota of 16\.0 GiB/);
    expect(refused.body.suggestions.length).toBeGreaterThan(0);
    for (const s of refused.body.suggestions) expect(s.totalMiB).toBeLessThanOrEqual(16 * 1024);
    expect(f.store.listRuns()).toHaveLength(0);
    const estimate = await f.call("ada", "POST", "/v1/estimate", { spec });
    expect(estimate.status).toBe(200);
    expect(estimate.body.fits).toBe(false);
    expect(estimate.body.estimate.breakdown.activations).toBeGreaterThan(0);
  });

  it("queues a learner's second run behind their concurrency limit, with a position and a reason, and starts it when the first ends", async () => {
    const first = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const second = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    expect(second.status).toBe(202);
    expect(second.body.decision).toBe("queued");
    expect(second.body.run.queuePosition).toBe(1);
    expect(second.body.reason).toMatch(/limit is 1/);
    startPod(f, first.body.run);
    finishPod(f, first.body.run, {
      exitCode: 0,
      summary: { runId: first.body.run.id, status: "succeeded", peakVramMiB: 1 },
    });
    await f.waitForRun(second.body.run.id, (r) => r.state === "starting");
    await expect.poll(() => jobOf(f, second.body.run), { timeout: 5000 }).toBeDefined();
  });

  it("requeues a run once when its node is lost, and fails it the second time", async () => {
    const { body } = await f.call("bob", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const run = body.run as Run;
    const disrupt = () => {
      const pod = startPod(f, run);
      f.api.put({
        ...pod,
        status: {
          ...(pod.status as object),
          phase: "Failed",
          conditions: [{ type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager" }],
        },
      });
    };
    disrupt();
    const requeued = await f.waitForRun(run.id, (r) => r.attempts === 2 && r.state === "starting");
    expect(requeued.attempts).toBe(2);
    const events = f.store
      .eventsAfter(run.id, 0)
      .filter((e) => e.type === "state")
      .map((e) => e.data.state);
    expect(events).toEqual(["queued", "starting", "queued", "starting"]);
    await expect.poll(() => jobOf(f, run)?.metadata.annotations?.["labkit.dev/attempt"]).toBe("2");
    disrupt();
    const failed = await f.waitForRun(run.id, (r) => r.state === "failed");
    expect(failed.reason).toMatch(/went away .*second time/);
  });

  it("requeues a run whose node vanished with its pod (a spot reclaim), instead of failing it", async () => {
    const { body } = await f.call("cleo", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const run = body.run as Run;
    const pod = startPod(f, run);
    await f.waitForRun(run.id, (r) => r.state === "running");
    const node = (pod.spec as { nodeName: string }).nodeName;
    f.api.remove("Node", undefined, node);
    f.api.remove("Pod", pod.metadata.namespace, pod.metadata.name ?? "");
    const job = jobOf(f, run);
    if (!job) throw new Error("no Job");
    f.api.put({
      ...job,
      status: { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] },
    });
    const requeued = await f.waitForRun(run.id, (r) => r.attempts === 2);
    expect(requeued.placement?.node).not.toBe(node);
    expect(
      f.store
        .eventsAfter(run.id, 0)
        .some((e) => e.type === "state" && String(e.data.reason).includes(`its node ${node} went away`)),
    ).toBe(true);
  });

  it("does not let a learner read, follow or cancel another learner's run", async () => {
    const { body } = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    for (const [method, path] of [
      ["GET", `/v1/runs/${body.run.id}`],
      ["DELETE", `/v1/runs/${body.run.id}`],
      ["GET", `/v1/runs/${body.run.id}/loss`],
      ["GET", `/v1/runs/${body.run.id}/events`],
    ] as const) {
      const answer = await f.call("bob", method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    expect((await f.call("bob", "GET", "/v1/runs")).body.runs).toEqual([]);
    expect(f.store.getRun(body.run.id)?.state).toBe("starting");
    // The instructor sees it; a learner's token cannot post runner events.
    expect((await f.call("maria", "GET", `/v1/runs/${body.run.id}`)).status).toBe(200);
    expect((await postEvent(f, body.run.id, TOKENS.ada, { type: "progress", seq: 1, step: 1 })).status).toBe(403);
  });

  it("accepts a runner token only for its own run", async () => {
    const a = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const b = await f.call("bob", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const tokenA = runTokenOf(f, a.body.run);
    expect((await postEvent(f, b.body.run.id, tokenA, { type: "progress", seq: 1, step: 1 })).status).toBe(401);
    expect(
      (await fetch(`${f.url}/v1/runs/${a.body.run.id}`, { headers: { authorization: `Bearer ${tokenA}` } })).status,
    ).toBe(403);
  });

  it("keeps following Jobs after the watch breaks and the API server fails a few watch requests", async () => {
    const { body } = await f.call("cleo", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    f.api.failNextWatches(3, 500);
    f.api.breakWatches();
    startPod(f, body.run);
    await f.waitForRun(body.run.id, (r) => r.state === "running");
    expect(f.cluster.stats().watchErrors).toBeGreaterThan(0);
  });
});
