import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { OPTIMIZERS, RunSpecInputSchema, RunSpecSchema } from "../../../schema/run-spec";
import { type ControllerFixture, startControllerFixture, TOKENS } from "../controller-fixture";

/** An OpenAPI response or request body: JSON Schemas by content type. */
type Content = { description?: string; content?: Record<string, { schema: JsonSchema }> };

type JsonSchema = {
  $ref?: string;
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  items?: JsonSchema;
};

describe("the OpenAPI document, generated from the zod schemas", () => {
  let f: ControllerFixture;
  let doc: {
    paths: Record<
      string,
      Record<string, { requestBody?: Content; responses?: Record<string, Content>; security?: unknown[] }>
    >;
    components: { schemas: Record<string, JsonSchema> };
  };
  /** Follow `$ref` (and a lone `allOf` wrapper) to the schema it names. */
  const resolve = (schema: JsonSchema): JsonSchema => {
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`the document has no component ${name}`);
    return resolve(target);
  };
  const json = (response: Content | undefined): JsonSchema => {
    const schema = response?.content?.["application/json"]?.schema;
    if (!schema) throw new Error("no application/json schema");
    return resolve(schema);
  };

  beforeAll(async () => {
    f = await startControllerFixture();
    const response = await f.call(null, "GET", "/docs/json");
    expect(response.status).toBe(200);
    doc = response.body;
  });
  afterAll(async () => {
    await f.close();
  });

  it("describes the body of POST /v1/runs with the zod RunSpecInput schema, field by field", () => {
    const body = json(doc.paths["/v1/runs"].post.requestBody);
    expect(Object.keys(body.properties ?? {})).toEqual(["spec", "dataset", "learnerId"]);
    const spec = resolve(body.properties?.spec as JsonSchema);
    expect(Object.keys(spec.properties ?? {})).toEqual(Object.keys(RunSpecInputSchema.shape));
    const training = resolve(spec.properties?.training as JsonSchema);
    // Only the zod schema knows these: the hand-written JSON Schema said `spec: { type: object }`.
    expect(training.properties?.optimizer.enum).toEqual([...OPTIMIZERS]);
    expect(training.properties?.warmupRatio.description).toBe(
      "Fraction of the steps spent warming the learning rate up. Default 0.03.",
    );
    expect(body.properties?.dataset.required).toEqual(["name", "contentBase64"]);
  });

  it("derives the body schema from RunSpecInputSchema itself, not a copy", () => {
    const spec = resolve(json(doc.paths["/v1/runs"].post.requestBody).properties?.spec as JsonSchema);
    const direct = z.toJSONSchema(RunSpecInputSchema, { target: "openapi-3.0", io: "input" }) as JsonSchema;
    expect(resolve(spec.properties?.lora as JsonSchema)).toEqual(direct.properties?.lora);
    expect(resolve(spec.properties?.training as JsonSchema)).toEqual(direct.properties?.training);
  });

  it("describes every answer of POST /v1/runs, the run's resolved spec from RunSpecSchema", () => {
    const responses = doc.paths["/v1/runs"].post.responses ?? {};
    expect(Object.keys(responses).sort()).toEqual(["201", "202", "400", "401", "403", "413", "422", "429", "500"]);
    const run = resolve(json(responses["201"]).properties?.run as JsonSchema);
    const spec = resolve(run.properties?.spec as JsonSchema);
    expect(spec.required?.sort()).toEqual(Object.keys(RunSpecSchema.shape).sort());
    expect(json(responses["422"]).required).toEqual(["decision", "reason", "estimate", "quotaMiB", "suggestions"]);
  });

  it("gives every error answer (4xx but 422, 5xx) the one ErrorBody schema, with `error` and `problems`", () => {
    const refs = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          // 422 is a refusal with its reasons (RefusedRun), not an error.
          if (Number(status) < 400 || status === "422") continue;
          const schema = response.content?.["application/json"]?.schema;
          expect(schema?.$ref, `${path} ${status}`).toBeDefined();
          refs.add(String(schema?.$ref));
        }
      }
    }
    expect([...refs]).toEqual(["#/components/schemas/ErrorBody"]);
    expect(doc.components.schemas.ErrorBody.required).toEqual(["error"]);
    expect(Object.keys(doc.components.schemas.ErrorBody.properties ?? {})).toEqual(["error", "problems"]);
  });

  it("marks login and logout as needing no token", () => {
    expect(doc.paths["/v1/login"].post.security).toEqual([]);
    expect(doc.paths["/v1/logout"].post.security).toEqual([]);
    expect(doc.paths["/v1/me"].get.security).toBeUndefined();
  });
});

describe("a request that fails its zod schema is answered as before zod checked requests", () => {
  let f: ControllerFixture;
  beforeAll(async () => {
    f = await startControllerFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it.each([
    ["an unknown top-level key", { spec: {}, evil: true }, "invalid request: body must NOT have additional properties"],
    ["a spec that is not an object", { spec: "qlora" }, "invalid request: body/spec must be object"],
    ["a null spec", { spec: null }, "invalid request: body/spec must be object"],
    [
      "a dataset without a name",
      { dataset: { contentBase64: "eA==" } },
      "invalid request: body/dataset must have required property 'name'",
    ],
    [
      "a dataset name over 200 characters",
      { dataset: { name: "x".repeat(201), contentBase64: "eA==" } },
      "invalid request: body/dataset/name must NOT have more than 200 characters",
    ],
    ["a body that is an array", [], "invalid request: body must be object"],
  ])("%s: 400 with the same `error`", async (_what, body, error) => {
    for (const path of ["/v1/runs", "/v1/estimate"]) {
      const response = await f.call("ada", "POST", path, body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error });
    }
  });

  it("answers an invalid spec field with the run spec's `error` and one `problems` line per field", async () => {
    const response = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", training: { microBatchSize: 0, learningRat: 1e-4 } },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error:
        'the run spec is not valid: training.microBatchSize: Too small: expected number to be >=1; training: Unrecognized key: "learningRat"',
      problems: [
        "spec.training.microBatchSize: Too small: expected number to be >=1",
        'spec.training: Unrecognized key: "learningRat"',
      ],
    });
  });

  it("still checks who may submit and which exercise before the spec's fields", async () => {
    const forBob = await f.call("ada", "POST", "/v1/runs", {
      spec: { training: { microBatchSize: 0 } },
      learnerId: "bob",
    });
    expect(forBob.status).toBe(403);
    expect(forBob.body.error).toBe("a learner can only submit runs for themselves: remove `learnerId`");
    const unknownExercise = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "nope", training: { microBatchSize: 0 } },
    });
    expect(unknownExercise.body.problems).toEqual([
      "spec.exercise: unknown exercise `nope`: use one of lora-warmup, qlora-challenge",
    ]);
    expect(f.store.listRuns({ learnerId: "ada" })).toHaveLength(0);
  });

  it("words login and query problems as before", async () => {
    expect((await f.call(null, "POST", "/v1/login", {})).body).toEqual({
      error: "invalid request: body must have required property 'token'",
    });
    expect((await f.call(null, "POST", "/v1/login", { token: "x".repeat(600) })).body).toEqual({
      error: "invalid request: body/token must NOT have more than 512 characters",
    });
    const twice = await f.call("maria", "GET", "/v1/runs?learner=ada&learner=bob");
    expect(twice).toEqual({ status: 400, body: { error: "invalid request: querystring/learner must be string" } });
  });

  it("refuses a runner event from a person with 403, and a body that is not an object with 400 first", async () => {
    const byPerson = await f.call("ada", "POST", "/v1/runs/abcdefghijkl/events", {
      type: "progress",
      seq: 1,
      step: -1,
    });
    expect(byPerson).toEqual({ status: 403, body: { error: "only the run's own runner token may post its events" } });
    const notObject = await f.call("ada", "POST", "/v1/runs/abcdefghijkl/events", [1]);
    expect(notObject).toEqual({ status: 400, body: { error: "invalid request: body must be object" } });
  });
});

describe("the session cookie, by @fastify/cookie", () => {
  let f: ControllerFixture;
  beforeAll(async () => {
    f = await startControllerFixture();
  });
  afterAll(async () => {
    await f.close();
  });
  const attributes = (header: string | null) => new Set((header ?? "").split("; ").slice(1));
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${f.url}${path}`, {
      method: "POST",
      headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });

  const cookieOf = (response: Response) => (response.headers.get("set-cookie") ?? "").split("; ")[0];

  it("sets an opaque session id (never the token) for 12 hours, host-only: `__Host-` with Secure behind TLS", async () => {
    const plain = await post("/v1/login", { token: TOKENS.ada });
    const [name, value] = cookieOf(plain).split("=");
    expect(name).toBe("labkit_session");
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value).not.toContain(TOKENS.ada);
    expect(attributes(plain.headers.get("set-cookie"))).toEqual(
      new Set(["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"]),
    );
    const tls = await post("/v1/login", { token: TOKENS.ada }, { "x-forwarded-proto": "https" });
    expect(cookieOf(tls)).toMatch(/^__Host-labkit_session=/);
    expect(attributes(tls.headers.get("set-cookie"))).toEqual(
      new Set(["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200", "Secure"]),
    );
  });

  it("clears it on logout with Max-Age=0 and the same attributes", async () => {
    const logout = await post("/v1/logout", undefined, { "x-forwarded-proto": "https" });
    expect(cookieOf(logout)).toBe("__Host-labkit_session=");
    expect(attributes(logout.headers.get("set-cookie"))).toEqual(
      new Set(["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=0", "Secure"]),
    );
  });

  it("authenticates by the session cookie among others, refuses the raw token as a cookie, and prefers the Authorization header", async () => {
    const session = cookieOf(await post("/v1/login", { token: TOKENS.maria })).split("=")[1];
    const me = await f.call(null, "GET", "/v1/me", undefined, {
      cookie: `theme=dark; labkit_session=${session}; lang=en`,
    });
    expect(me.body).toEqual({ role: "instructor", id: "maria", name: "Maria Schmidt" });
    const rawToken = await f.call(null, "GET", "/v1/me", undefined, { cookie: `labkit_session=${TOKENS.maria}` });
    expect(rawToken.status).toBe(401);
    const wrongHeader = await f.call(null, "GET", "/v1/me", undefined, {
      authorization: "Bearer wrong",
      cookie: `labkit_session=${session}`,
    });
    expect(wrongHeader.status).toBe(401);
  });
});
