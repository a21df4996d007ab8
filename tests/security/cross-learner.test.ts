/**
 * The security suite: for every ordered pair of learners (A, B), every way A could act as B, or
 * as the instructor, through the API is refused. The real Fastify app on the fake API server.
 * The S3 policy pairs are in tests/infra/platform (IAM evaluated by @cloud-copilot/iam-simulate),
 * the lab hosts in tests/charts/lab, the per-run runner credential in tests/charts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControllerFixture, startControllerFixture, TOKENS } from "../lab-controller/controller-fixture";

const LEARNERS = ["ada", "bob", "cleo"] as const;
type Learner = (typeof LEARNERS)[number];

let f: ControllerFixture;
/** One run of each learner (queued or running). */
const runOf = {} as Record<Learner, string>;
/** Each learner's dashboard session cookie. */
const cookieOf = {} as Record<Learner, string>;

beforeAll(async () => {
  f = await startControllerFixture({ gpuNodes: 2, concurrentRuns: 2 });
  for (const learner of LEARNERS) {
    const submitted = await f.call(learner, "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    expect([201, 202]).toContain(submitted.status);
    runOf[learner] = submitted.body.run.id;
    const login = await fetch(`${f.url}/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TOKENS[learner] }),
    });
    cookieOf[learner] = (login.headers.get("set-cookie") ?? "").split("; ")[0];
  }
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const pairs = LEARNERS.flatMap((a) => LEARNERS.filter((b) => b !== a).map((b) => [a, b] as const));

describe.each(pairs)("learner %s against learner %s", (a, b) => {
  it("cannot read, follow, chart, download or cancel B's run: 404, as for a run that does not exist", async () => {
    const id = runOf[b];
    for (const [method, path] of [
      ["GET", `/v1/runs/${id}`],
      ["GET", `/v1/runs/${id}/events`],
      ["GET", `/v1/runs/${id}/loss`],
      ["GET", `/v1/runs/${id}/artifacts`],
      ["DELETE", `/v1/runs/${id}`],
    ] as const) {
      const r = await f.call(a, method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error, `${method} ${path}`).toMatch(/not found among your runs/);
    }
    const still = await f.call(b, "GET", `/v1/runs/${id}`);
    expect(still.body.state).not.toBe("cancelled");
  });

  it("sees only their own runs, even when asking for B's", async () => {
    const r = await f.call(a, "GET", `/v1/runs?learner=${b}`);
    expect(r.status).toBe(200);
    expect(r.body.runs.map((run: { learnerId: string }) => run.learnerId)).toEqual(r.body.runs.map(() => a));
  });

  it("cannot submit or estimate for B", async () => {
    for (const path of ["/v1/runs", "/v1/estimate"]) {
      const r = await f.call(a, "POST", path, { spec: { exercise: "lora-warmup" }, learnerId: b });
      expect(r.status, path).toBe(403);
    }
  });

  it("cannot post events to B's run, with A's token or A's own run token", async () => {
    const event = { type: "progress", seq: 1, step: 1, totalSteps: 10, loss: 0.1 };
    const asPerson = await f.call(a, "POST", `/v1/runs/${runOf[b]}/events`, event);
    expect(asPerson.status).toBe(403);
  });

  it("cannot revoke B's sessions or rotate B's token", async () => {
    expect((await f.call(a, "POST", `/v1/learners/${b}/revoke`)).status).toBe(403);
    expect((await f.call(a, "POST", `/v1/learners/${b}/token`)).status).toBe(403);
    expect((await f.call(b, "GET", "/v1/me")).status).toBe(200);
  });

  it("cannot make B's browser act: a page on A's lab host posting with B's session cookie is refused", async () => {
    const labOrigin = `https://${a}.labs.example.org`;
    const r = await f.call(null, "DELETE", `/v1/runs/${runOf[b]}`, undefined, {
      cookie: cookieOf[b],
      origin: labOrigin,
    });
    expect(r.status).toBe(403);
    expect((await f.call(b, "GET", `/v1/runs/${runOf[b]}`)).body.state).not.toBe("cancelled");
  });
});

describe.each(LEARNERS)("learner %s against the instructor", (a) => {
  it("cannot see the cohort, its event stream or act through instructor-only routes", async () => {
    expect((await f.call(a, "GET", "/v1/cohort")).status).toBe(403);
    expect((await f.call(a, "GET", "/v1/events")).status).toBe(403);
    expect((await f.call(a, "POST", "/v1/learners/maria/revoke")).status).toBe(403);
  });

  it("cannot use their raw token as a session cookie, nor a guessed or stale session id", async () => {
    for (const cookie of [`labkit_session=${TOKENS[a]}`, `labkit_session=${"A".repeat(43)}`, `labkit_session=`]) {
      expect((await f.call(null, "GET", "/v1/me", undefined, { cookie })).status, cookie).toBe(401);
    }
  });

  it("cannot slip past authentication with a percent-encoded path", async () => {
    for (const path of ["/%761/cohort", "/v%31/cohort", "/api/%761/cohort"]) {
      const anonymous = await f.call(null, "GET", path);
      expect([401, 404], path).toContain(anonymous.status);
      const learner = await f.call(a, "GET", path);
      expect([403, 404], path).toContain(learner.status);
    }
  });
});
