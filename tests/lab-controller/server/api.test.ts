import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ControllerFixture,
  finishPod,
  runTokenOf,
  startControllerFixture,
  startPod,
  TOKENS,
} from "../controller-fixture";

/** Read an SSE stream until `count` events arrived; returns them parsed. */
async function readSse(url: string, headers: Record<string, string>, count: number, timeoutMs = 5000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = response.body?.getReader();
  if (!reader) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffer = "";
  const events: Array<{ id?: number; event: string; data: any }> = [];
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((l) => !l.startsWith(":") && l.includes(": "))
            .map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)]),
        );
        if (fields.event)
          events.push({
            id: fields.id ? Number(fields.id) : undefined,
            event: fields.event,
            data: JSON.parse(fields.data),
          });
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

describe("the lab-controller HTTP API", () => {
  let f: ControllerFixture;
  beforeAll(async () => {
    f = await startControllerFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it("answers health, readiness and Prometheus metrics without a token", async () => {
    expect((await f.call(null, "GET", "/healthz")).status).toBe(200);
    expect((await f.call(null, "GET", "/readyz")).body).toEqual({ ready: true });
    const metrics = await f.call(null, "GET", "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain("# TYPE labkit_queue_length gauge");
    expect(metrics.body).toMatch(/labkit_gpu_memory_total_mib\{node="gpu-node-1",gpu="0"\} 46068/);
  });

  it("serves the OpenAPI document with every /v1 endpoint", async () => {
    const doc = await f.call(null, "GET", "/docs/json");
    expect(doc.status).toBe(200);
    for (const path of [
      "/v1/runs",
      "/v1/runs/{id}",
      "/v1/runs/{id}/events",
      "/v1/estimate",
      "/v1/cohort",
      "/v1/leaderboard",
      "/v1/login",
      "/v1/datasets",
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
  });

  it("refuses calls without a known token with 401 and says how to authenticate", async () => {
    const none = await f.call(null, "GET", "/v1/runs");
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/Authorization: Bearer/);
    expect((await f.call(null, "GET", "/v1/runs", undefined, { authorization: "Bearer wrong" })).status).toBe(401);
  });

  it("logs in with a token, then authenticates by the HttpOnly session cookie, and logs out", async () => {
    const login = await fetch(`${f.url}/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TOKENS.ada }),
    });
    expect(await login.json()).toEqual({ role: "learner", id: "ada", name: "Ada Lovelace" });
    const cookie = login.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^labkit_session=.*HttpOnly.*SameSite=Strict/);
    const me = await f.call(null, "GET", "/v1/me", undefined, { cookie: cookie.split(";")[0] });
    expect(me.body).toEqual({ role: "learner", id: "ada", name: "Ada Lovelace" });
    const logout = await fetch(`${f.url}/v1/logout`, { method: "POST" });
    expect(logout.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await f.call(null, "POST", "/v1/login", { token: "nope" })).status).toBe(401);
  });

  it("answers malformed and hostile input with a precise 4xx and keeps serving", async () => {
    const badJson = await f.call("ada", "POST", "/v1/runs", "{not json");
    expect(badJson.status).toBe(400);
    const unknownKey = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", training: { microBatchSize: 4, learningRat: 1e-4 } },
    });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.problems.join("\n")).toMatch(/spec\.training: .*learningRat/);
    const badValue = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", training: { microBatchSize: 0 } },
    });
    expect(badValue.body.problems[0]).toMatch(/^spec\.training\.microBatchSize:/);
    const badExercise = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "nope" } });
    expect(badExercise.body.error).toMatch(/unknown exercise `nope`: use one of lora-warmup, qlora-challenge/);
    const badModel = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", baseModel: "meta-llama/Llama-3.1-8B" },
    });
    expect(badModel.body.error).toMatch(/not in this cohort's model catalog/);
    const extra = await f.call("ada", "POST", "/v1/runs", { spec: {}, evil: true });
    expect(extra.status).toBe(400);
    const badDataset = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup" },
      dataset: { name: "x.jsonl", contentBase64: "bm90IGpzb24K" },
    });
    expect(badDataset.status).toBe(400);
    const huge = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "x".repeat(30 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    const longId = await f.call("ada", "GET", `/v1/runs/${"a".repeat(500)}`);
    expect(longId.status).toBe(400);
    expect(longId.body.error).toMatch(/path segment is too long/);
    const traversal = await f.call("ada", "GET", "/v1/runs/..%2F..%2Fetc");
    expect(traversal.status).toBe(400);
    expect(traversal.body.error).toMatch(/^invalid request: params\/id expected a run id/);
    expect((await f.call("ada", "GET", "/v1/nothing")).status).toBe(404);
    expect((await f.call(null, "GET", "/healthz")).status).toBe(200);
    expect(f.store.listRuns({ learnerId: "ada" })).toHaveLength(0);
  });

  it("rejects a runner event that does not match the schema, with the field that is wrong", async () => {
    const { body } = await f.call("cleo", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const token = runTokenOf(f, body.run);
    const response = await fetch(`${f.url}/v1/runs/${body.run.id}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "progress", seq: 1, step: -3 }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).problems[0]).toMatch(/^step:/);
    await f.call("cleo", "DELETE", `/v1/runs/${body.run.id}`);
  });

  it("streams a run's events as SSE with ids, and replays after Last-Event-ID", async () => {
    const { body } = await f.call("bob", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const headers = { authorization: `Bearer ${TOKENS.bob}` };
    const first = await readSse(`${f.url}/v1/runs/${body.run.id}/events`, headers, 2);
    expect(first.map((e) => [e.id, e.event, e.data.state])).toEqual([
      [1, "state", "queued"],
      [2, "state", "starting"],
    ]);
    const live = readSse(`${f.url}/v1/runs/${body.run.id}/events`, { ...headers, "last-event-id": "2" }, 1);
    await new Promise((r) => setTimeout(r, 100));
    startPod(f, body.run);
    const next = await live;
    expect(next[0]).toMatchObject({ id: 3, event: "state", data: { state: "running" } });
    finishPod(f, body.run, {
      exitCode: 0,
      summary: { runId: body.run.id, status: "succeeded", peakVramMiB: 10, after: { rougeL: 0.3 } },
    });
    await f.waitForRun(body.run.id, (r) => r.state === "succeeded");
  });

  it("streams every run's state changes to instructors on /v1/events, and not to learners", async () => {
    expect((await f.call("ada", "GET", "/v1/events")).status).toBe(403);
    const events = readSse(`${f.url}/v1/events`, { authorization: `Bearer ${TOKENS.maria}` }, 2);
    await new Promise((r) => setTimeout(r, 100));
    const { body } = await f.call("cleo", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const seen = await events;
    expect(seen.map((e) => [e.event, e.data.id, e.data.state])).toEqual([
      ["state", body.run.id, "queued"],
      ["state", body.run.id, "starting"],
    ]);
    await f.call("cleo", "DELETE", `/v1/runs/${body.run.id}`);
  });

  it("serves the API under /api/ too, as the gateway routes it", async () => {
    expect((await f.call("ada", "GET", "/api/v1/me")).body).toEqual({
      role: "learner",
      id: "ada",
      name: "Ada Lovelace",
    });
  });

  it("shows the instructor the cohort: learners with quotas and usage, GPUs, queue and budget; learners may not", async () => {
    expect((await f.call("ada", "GET", "/v1/cohort")).status).toBe(403);
    const cohort = await f.call("maria", "GET", "/v1/cohort");
    expect(cohort.status).toBe(200);
    expect(cohort.body.cohort).toEqual({ name: "test-cohort", title: "Test cohort" });
    expect(cohort.body.learners.map((l: { id: string }) => l.id)).toEqual(["ada", "bob", "cleo"]);
    expect(cohort.body.learners[0].quota).toEqual({ vramMiB: 16384, concurrentRuns: 1, gpuMinutes: 120 });
    expect(cohort.body.gpus).toHaveLength(2);
    expect(cohort.body.gpus[0]).toMatchObject({
      node: "gpu-node-1",
      index: 0,
      product: "NVIDIA L40S",
      totalMiB: 46068,
    });
    expect(cohort.body.budget.gpuMinutesBudget).toBe(360);
    expect(Array.isArray(cohort.body.queue)).toBe(true);
  });

  it("lets an instructor submit on behalf of a learner, but not a learner on behalf of another", async () => {
    const asBob = await f.call("ada", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" }, learnerId: "bob" });
    expect(asBob.status).toBe(403);
    const byInstructor = await f.call("maria", "POST", "/v1/estimate", {
      spec: { exercise: "lora-warmup" },
      learnerId: "ada",
    });
    expect(byInstructor.status).toBe(200);
    expect(byInstructor.body.fits).toBe(true);
  });
});
