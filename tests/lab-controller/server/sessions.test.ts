/**
 * Sessions are server-side: the cookie holds an opaque id, logout and the instructor's revoke
 * end it, a rotated token replaces the old one at once; cookie requests that change something
 * must come from the dashboard's origin. Runs the real Fastify app on loopback.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenDirectory } from "../../../lab-controller/server/token-directory";
import { RunStore } from "../../../lab-controller/store/run-store";
import { SessionStore } from "../../../lab-controller/store/session-store";
import { type ControllerFixture, createTlsControllerApp, startControllerFixture, TOKENS } from "../controller-fixture";

let f: ControllerFixture;

beforeAll(async () => {
  f = await startControllerFixture({ gpuNodes: 1 });
});
afterAll(async () => {
  await f.close();
});

/** Log in with a token; returns the session cookie (`name=value`). */
async function login(token: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${f.url}/v1/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  return (response.headers.get("set-cookie") ?? "").split("; ")[0];
}

const withCookie = (cookie: string, headers: Record<string, string> = {}) => ({ cookie, ...headers });

describe("server-side sessions", () => {
  it("ends the session on logout: the same cookie no longer authenticates", async () => {
    const cookie = await login(TOKENS.ada);
    expect((await f.call(null, "GET", "/v1/me", undefined, withCookie(cookie))).status).toBe(200);
    const origin = { origin: f.url };
    const logout = await f.call(null, "POST", "/v1/logout", undefined, withCookie(cookie, origin));
    expect(logout.body).toEqual({ ok: true, ended: true });
    expect((await f.call(null, "GET", "/v1/me", undefined, withCookie(cookie))).status).toBe(401);
  });

  it("lets an instructor end every session of a learner, and no one else", async () => {
    const first = await login(TOKENS.bob);
    const second = await login(TOKENS.bob);
    const byLearner = await f.call("ada", "POST", "/v1/learners/bob/revoke");
    expect(byLearner.status).toBe(403);
    const revoke = await f.call("maria", "POST", "/v1/learners/bob/revoke");
    expect(revoke.body).toEqual({ learnerId: "bob", sessionsEnded: 2 });
    for (const cookie of [first, second]) {
      expect((await f.call(null, "GET", "/v1/me", undefined, withCookie(cookie))).status).toBe(401);
    }
    expect((await f.call("maria", "POST", "/v1/learners/nobody/revoke")).status).toBe(404);
    expect((await f.call("maria", "POST", "/v1/learners/..%2F..%2Fx/revoke")).status).toBe(400);
  });

  it("rotates a learner's token: the old token and sessions stop at once, the new one works, across a restart", async () => {
    const cookie = await login(TOKENS.cleo);
    const rotated = await f.call("maria", "POST", "/v1/learners/cleo/token");
    expect(rotated.status).toBe(200);
    expect(rotated.body.sessionsEnded).toBe(1);
    const token = rotated.body.token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await f.call("cleo", "GET", "/v1/me")).status).toBe(401);
    expect((await f.call(null, "GET", "/v1/me", undefined, withCookie(cookie))).status).toBe(401);
    const me = await f.call(null, "GET", "/v1/me", undefined, { authorization: `Bearer ${token}` });
    expect(me.body).toMatchObject({ role: "learner", id: "cleo" });
    await f.stopController();
    await f.startController();
    expect((await f.call("cleo", "GET", "/v1/me")).status).toBe(401);
    expect((await f.call(null, "GET", "/v1/me", undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});

describe("session lifetimes (SessionStore)", () => {
  const store = RunStore.open(":memory:");
  const ada = { role: "learner" as const, id: "ada", name: "Ada" };
  afterAll(() => store.close());

  it("ends a session after its idle timeout and after its absolute lifetime, whichever comes first", () => {
    const sessions = new SessionStore((sql) => (store as unknown as { statement(s: string): never }).statement(sql), {
      maxAgeMs: 10 * 60_000,
      idleTimeoutMs: 3 * 60_000,
    });
    const t0 = 1_000_000;
    const a = sessions.create(ada, t0);
    expect(sessions.lookup(a.id, t0 + 2 * 60_000)).toEqual(ada);
    expect(sessions.lookup(a.id, t0 + 4 * 60_000)).toEqual(ada);
    expect(sessions.lookup(a.id, t0 + 8 * 60_000)).toBeUndefined();
    const b = sessions.create(ada, t0);
    for (let m = 2; m < 10; m += 2) expect(sessions.lookup(b.id, t0 + m * 60_000)).toEqual(ada);
    expect(sessions.lookup(b.id, t0 + 10 * 60_000)).toBeUndefined();
  });

  it("stores only a hash of the session id", () => {
    const { id } = store.sessions.create(ada);
    const rows = (store as unknown as { statement(s: string): { all(): unknown[] } })
      .statement("SELECT * FROM sessions")
      .all();
    expect(JSON.stringify(rows)).not.toContain(id);
  });
});

describe("cookie requests from other origins", () => {
  it("refuses a state-changing cookie request from another origin (or without Origin), with the one error shape", async () => {
    const cookie = await login(TOKENS.ada);
    const evil = await f.call(
      null,
      "POST",
      "/v1/runs",
      { spec: {} },
      withCookie(cookie, { origin: "https://ada.labs.example.org" }),
    );
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatch(/cross-origin request refused/);
    const noOrigin = await f.call(null, "DELETE", "/v1/runs/aaaaaaaaaaaa", undefined, withCookie(cookie));
    expect(noOrigin.status).toBe(403);
    const same = await f.call(
      null,
      "DELETE",
      "/v1/runs/aaaaaaaaaaaa",
      undefined,
      withCookie(cookie, { origin: f.url }),
    );
    expect(same.status).toBe(404);
  });

  it("still lets a bearer-token script post without Origin (no cookie, so no CSRF)", async () => {
    const r = await f.call("ada", "DELETE", "/v1/runs/aaaaaaaaaaaa");
    expect(r.status).toBe(404);
  });

  it("refuses a login posted from another site's page", async () => {
    const r = await f.call(null, "POST", "/v1/login", { token: TOKENS.ada }, { origin: "https://evil.example" });
    expect(r.status).toBe(403);
  });
});

describe("paths, encodings and limits", () => {
  it("authenticates percent-encoded paths by the route they reach (`/%761/runs` is `/v1/runs`)", async () => {
    for (const path of ["/%761/runs", "/v%31/runs", "/%76%31/cohort", "/api/%761/runs"]) {
      const r = await f.call(null, "GET", path);
      expect([401, 404], path).toContain(r.status);
      expect(r.body.error, path).toEqual(expect.any(String));
    }
    const learner = await f.call("ada", "GET", "/%76%31/cohort");
    expect(learner.status).toBe(403);
  });

  it("refuses a body that is not valid UTF-8 with 400", async () => {
    const bytes = Buffer.concat([Buffer.from('{"token":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await fetch(`${f.url}/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: "invalid request: the body is not valid UTF-8" });
  });

  it("refuses a query that is not valid UTF-8 with 400", async () => {
    const r = await f.call("maria", "GET", "/v1/runs?learner=%E0%A4");
    expect(r.status).toBe(400);
  });
});

describe("request and stream limits per caller", () => {
  let g: ControllerFixture;
  beforeAll(async () => {
    g = await startControllerFixture({
      gpuNodes: 1,
      limits: { requestsPerMinute: { person: 5, runner: 5, anonymous: 3 }, eventStreamsPerPerson: 2 },
    });
  });
  afterAll(async () => {
    await g.close();
  });

  it("answers 429 with the error shape once a person spends the minute's budget, without slowing another learner", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await g.call("ada", "GET", "/v1/me")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await g.call("ada", "GET", "/v1/me");
    expect(limited.body.error).toMatch(/too many requests: at most 5 a minute/);
    expect((await g.call("bob", "GET", "/v1/me")).status).toBe(200);
  });

  it("caps open event streams per person", async () => {
    const open = (who: string) => fetch(`${g.url}/v1/events`, { headers: { authorization: `Bearer ${who}` } });
    const controllers: AbortController[] = [];
    const stream = async () => {
      const c = new AbortController();
      controllers.push(c);
      return fetch(`${g.url}/v1/events`, { headers: { authorization: `Bearer ${TOKENS.maria}` }, signal: c.signal });
    };
    const a = await stream();
    const b = await stream();
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await open(TOKENS.maria);
    expect(c.status).toBe(429);
    expect((await c.json()).error).toMatch(/too many open event streams/);
    controllers[0].abort();
    await new Promise((r) => setTimeout(r, 100));
    const d = await stream();
    expect(d.status).toBe(200);
    for (const ctl of controllers) ctl.abort();
  });
});

describe("rotated tokens over the tokens Secret (TokenDirectory)", () => {
  const hash = (t: string) => createHash("sha256").update(t).digest("hex");
  const directory = (adaToken: string) =>
    new TokenDirectory({ learners: [{ id: "ada", name: "Ada", tokenSha256: hash(adaToken) }], instructors: [] });

  it("applies a stored rotation while the Secret still holds the token it replaced", () => {
    const tokens = directory("old");
    expect(tokens.applyRotation("learner", "ada", hash("new"), hash("old"))).toBe(true);
    expect(tokens.lookup("old")).toBeUndefined();
    expect(tokens.lookup("new")).toMatchObject({ id: "ada" });
  });

  it("lets a redeploy that issued a new token since win over an older rotation", () => {
    const tokens = directory("redeployed");
    expect(tokens.applyRotation("learner", "ada", hash("new"), hash("old"))).toBe(false);
    expect(tokens.lookup("redeployed")).toMatchObject({ id: "ada" });
    expect(tokens.lookup("new")).toBeUndefined();
  });
});

describe("behind the load balancer's TLS (publicTls: the cohort has a domain)", () => {
  it("sets the `__Host-` Secure cookie and accepts the https origin, though the connection is plain HTTP", async () => {
    const { app, store } = await createTlsControllerApp(f, ["https://labs.example.org"]);
    const login = await app.inject({
      method: "POST",
      url: "/v1/login",
      headers: { host: "labs.example.org", origin: "https://labs.example.org", "content-type": "application/json" },
      payload: { token: TOKENS.ada },
    });
    const cookie = String(login.headers["set-cookie"]);
    expect(cookie).toMatch(/^__Host-labkit_session=[A-Za-z0-9_-]{43}; .*Secure/);
    const logout = await app.inject({
      method: "POST",
      url: "/v1/logout",
      headers: { host: "labs.example.org", origin: "https://labs.example.org", cookie: cookie.split("; ")[0] },
    });
    expect(logout.json()).toEqual({ ok: true, ended: true });
    await app.close();
    store.close();
  });
});
