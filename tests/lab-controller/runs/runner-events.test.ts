/**
 * Runner events through the real API: an implausible event (a step that goes back, a step past
 * the run's total, memory past the run's grant, numbers out of range) is refused with 400 and
 * `{ error, problems }` naming the field, and changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Run } from "../../../lab-controller/runs/run";
import { GPU_MEMORY_SLACK_MIB } from "../../../lab-controller/runs/runner-event-checks";
import { type ControllerFixture, jobOf, runTokenOf, startControllerFixture, startPod } from "../controller-fixture";

async function postEvent(fixture: ControllerFixture, runId: string, token: string, event: unknown) {
  const response = await fetch(`${fixture.url}/v1/runs/${runId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  return { status: response.status, body: await response.json() };
}

describe("runner events the controller refuses", () => {
  let f: ControllerFixture;
  let run: Run;
  let token: string;
  beforeEach(async () => {
    f = await startControllerFixture();
    run = (await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } })).body.run;
    startPod(f, run);
    await f.waitForRun(run.id, (r) => r.state === "running");
    token = runTokenOf(f, run);
    expect(
      (await postEvent(f, run.id, token, { type: "progress", seq: 1, step: 5, totalSteps: 20, loss: 1.9 })).status,
    ).toBe(202);
  });
  afterEach(async () => {
    await f.close();
  });

  it.each([
    [
      "a step before one already reported",
      { type: "progress", seq: 2, step: 3, totalSteps: 20, loss: 1.8 },
      /^step: 3 is before step 5/,
    ],
    [
      "a step past the run's total",
      { type: "progress", seq: 2, step: 25, loss: 1.8 },
      /^step: 25 is past .*totalSteps 20/,
    ],
    ["a negative loss", { type: "progress", seq: 2, step: 6, loss: -1 }, /^loss:/],
    ["a loss of 1e300", { type: "progress", seq: 2, step: 6, loss: 1e300 }, /^loss:/],
    [
      "a fabricated ROUGE-L of 3",
      { type: "metrics", seq: 2, stage: "after", values: { rougeL: 3 } },
      /^values\.rougeL:/,
    ],
    [
      "a perplexity below 1",
      { type: "metrics", seq: 2, stage: "after", values: { perplexity: 0.2 } },
      /^values\.perplexity:/,
    ],
  ])("refuses %s with 400 and the field, and stores nothing", async (_what, event, problem) => {
    const answer = await postEvent(f, run.id, token, event);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual(expect.any(String));
    expect(answer.body.problems[0]).toMatch(problem);
    const stored = f.store.getRun(run.id);
    expect(stored?.step).toBe(5);
    expect(stored?.metrics).toBeUndefined();
    expect(f.store.lossPoints(run.id)).toEqual([{ step: 5, loss: 1.9 }]);
  });

  it("refuses memory past the run's HAMi grant plus slack, and takes memory within it", async () => {
    const grantedMiB = f.store.getRun(run.id)?.grantedMiB ?? 0;
    expect(grantedMiB).toBeGreaterThan(0);
    const ceiling = grantedMiB + Math.max(GPU_MEMORY_SLACK_MIB, grantedMiB / 10);
    const tooMuch = await postEvent(f, run.id, token, {
      type: "memory",
      seq: 2,
      allocatedMiB: 100,
      reservedMiB: 200,
      peakMiB: Math.ceil(ceiling) + 1,
    });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.problems).toEqual([expect.stringMatching(/^peakMiB: \d+ MiB is more than this run can hold/)]);
    expect(f.store.getRun(run.id)?.peakVramMiB).toBeUndefined();
    const fits = await postEvent(f, run.id, token, {
      type: "memory",
      seq: 3,
      allocatedMiB: 100,
      reservedMiB: 200,
      peakMiB: grantedMiB,
    });
    expect(fits.status).toBe(202);
    expect(f.store.getRun(run.id)?.peakVramMiB).toBe(grantedMiB);
  });

  it("takes the same step again and the steps after it", async () => {
    for (const [seq, step] of [
      [2, 5],
      [3, 10],
      [4, 20],
    ]) {
      expect(
        (await postEvent(f, run.id, token, { type: "progress", seq, step, totalSteps: 20, loss: 1.5 })).status,
      ).toBe(202);
    }
    expect(f.store.getRun(run.id)?.step).toBe(20);
  });

  it("counts steps afresh in a requeued run's next attempt, which has a new token", async () => {
    expect((await postEvent(f, run.id, token, { type: "progress", seq: 2, step: 12, totalSteps: 20 })).status).toBe(
      202,
    );
    const pod = startPod(f, run);
    f.api.put({
      ...pod,
      status: {
        ...(pod.status as object),
        phase: "Failed",
        conditions: [{ type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager" }],
      },
    });
    const requeued = await f.waitForRun(run.id, (r) => r.attempts === 2 && r.state === "starting");
    expect(requeued.step).toBeUndefined();
    await expect.poll(() => jobOf(f, run)?.metadata.annotations?.["labkit.dev/attempt"]).toBe("2");
    const next = runTokenOf(f, run);
    expect(next).not.toBe(token);
    expect((await postEvent(f, run.id, token, { type: "progress", seq: 0, step: 1 })).status).toBe(401);
    expect((await postEvent(f, run.id, next, { type: "progress", seq: 0, step: 1, totalSteps: 20 })).status).toBe(202);
  });
});
