/**
 * A succeeded run keeps the metrics the controller read from the runner's own outputs
 * (results.json, else the termination message), never what its events said, so a fabricated
 * `metrics` event cannot top the leaderboard.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runArtifactPrefix } from "../../../charts/names";
import type { ArtifactLink, ArtifactStore } from "../../../lab-controller/artifacts/artifact-store";
import type { Run } from "../../../lab-controller/runs/run";
import type { MetricValues, RunResult } from "../../../schema/run-result";
import { type ControllerFixture, finishPod, runTokenOf, startControllerFixture, startPod } from "../controller-fixture";

/** The artifact bucket in memory. */
class MemoryArtifacts implements ArtifactStore {
  readonly bucket = "labkit-test-artifacts";
  readonly objects = new Map<string, string>();
  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, body.toString("utf8"));
  }
  async links(): Promise<ArtifactLink[]> {
    return [];
  }
  async readText(key: string): Promise<string | undefined> {
    return this.objects.get(key);
  }
}

async function postEvent(fixture: ControllerFixture, runId: string, token: string, event: unknown) {
  const response = await fetch(`${fixture.url}/v1/runs/${runId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  return response.status;
}

describe("the metrics a succeeded run keeps, and the leaderboard ranks", () => {
  let f: ControllerFixture;
  let artifacts: MemoryArtifacts;
  beforeEach(async () => {
    artifacts = new MemoryArtifacts();
    f = await startControllerFixture({ gpuNodes: 3, artifacts });
  });
  afterEach(async () => {
    await f.close();
  });

  /** Submit a run for `who`, start its pod and post a metrics event claiming `claimed`. */
  const runClaiming = async (who: "ada" | "bob" | "cleo", claimed: MetricValues): Promise<Run> => {
    const run = (await f.call(who, "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } })).body.run as Run;
    startPod(f, run);
    await f.waitForRun(run.id, (r) => r.state === "running");
    expect(
      await postEvent(f, run.id, runTokenOf(f, run), { type: "metrics", seq: 1, stage: "after", values: claimed }),
    ).toBe(202);
    // While the run is active, the learner watches what the events said.
    expect(f.store.getRun(run.id)?.metrics?.after).toEqual(claimed);
    return run;
  };
  const writeResults = (run: Run, after: MetricValues) => {
    const results: RunResult = {
      runId: run.id,
      status: "succeeded",
      metrics: { before: { rougeL: 0.1 }, after },
      peakVramMiB: 3000,
      lossSeries: [],
      samples: [],
    };
    artifacts.objects.set(
      `${runArtifactPrefix(f.cohort.name, run.learnerId, run.id)}results.json`,
      JSON.stringify(results),
    );
  };
  const succeed = async (run: Run, after?: MetricValues) => {
    finishPod(f, run, {
      exitCode: 0,
      summary: { runId: run.id, status: "succeeded", peakVramMiB: 3000, ...(after ? { after } : {}) },
    });
    return f.waitForRun(run.id, (r) => r.state === "succeeded");
  };

  it("ranks results.json over a fabricated metrics event, and leaves out a run with nothing but its events", async () => {
    const ada = await runClaiming("ada", { rougeL: 0.99, bleu: 99 });
    const bob = await runClaiming("bob", { rougeL: 0.5 });
    const cleo = await runClaiming("cleo", { rougeL: 0.99, bleu: 99, perplexity: 1 });
    writeResults(ada, { rougeL: 0.31 });
    writeResults(bob, { rougeL: 0.5 });
    // ada's termination message agrees with her events; results.json decides all the same.
    expect((await succeed(ada, { rougeL: 0.99, bleu: 99 })).metrics?.after).toEqual({ rougeL: 0.31 });
    await succeed(bob, { rougeL: 0.5 });
    // cleo's run wrote no results.json and no metrics in its termination message: nothing verified.
    expect((await succeed(cleo)).metrics?.after).toBeUndefined();

    const board = await f.call("maria", "GET", "/v1/leaderboard");
    expect(board.status).toBe(200);
    expect(board.body.entries.map((e: { learnerId: string; after: MetricValues }) => [e.learnerId, e.after])).toEqual([
      ["bob", { rougeL: 0.5 }],
      ["ada", { rougeL: 0.31 }],
    ]);
    expect(board.body.entries.every((e: { verified: boolean }) => e.verified === true)).toBe(true);
  });

  it("falls back to the termination message when the run has no results.json", async () => {
    const ada = await runClaiming("ada", { rougeL: 0.99 });
    expect((await succeed(ada, { rougeL: 0.27 })).metrics?.after).toEqual({ rougeL: 0.27 });
    const board = await f.call("bob", "GET", "/v1/leaderboard");
    expect(board.body.entries).toEqual([
      expect.objectContaining({ learnerId: "ada", runId: ada.id, after: { rougeL: 0.27 }, verified: true }),
    ]);
  });
});
