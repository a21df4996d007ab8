/**
 * The lab-controller's HTTP API (Fastify): auth, the run endpoints, the cohort view, SSE, health
 * and metrics, OpenAPI docs at `/docs` (JSON at `/docs/json`), and the dashboard at
 * `/dashboard/`. `createControllerServer(deps)` builds the app without listening, so tests and
 * the benchmark run it on loopback and `main.ts` serves it in the cluster.
 *
 * Routes declare zod schemas (run-route-schemas.ts, cohort-route-schemas.ts, error-body.ts):
 * fastify-type-provider-zod validates requests and serialises answers with them, and the
 * OpenAPI document is generated from them, so no JSON Schema is written by hand.
 */
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import { API_PATH } from "../../charts/names";
import { MAX_DATASET_BYTES } from "../artifacts/dataset-upload";
import { RunInputError } from "../runs/run-lifecycle";
import { authenticate, changesState, originAllowed } from "./authenticate";
import { registerCohortRoutes } from "./cohort-routes";
import { registerDatasetRoutes } from "./dataset-routes";
import { errorResponses, invalidRequestBody } from "./error-body";
import { HttpMetrics } from "./http-metrics";
import { KnownRoutes } from "./known-routes";
import { DEFAULT_REQUEST_LIMITS, EventStreamLimiter, rateLimitKey } from "./request-limits";
import { registerRunRoutes } from "./run-routes";
import type { ControllerServerDeps } from "./server-context";
import { registerSessionRoutes } from "./session-routes";
import { parseUtf8Json, queryIsValidUtf8 } from "./utf8-json";

export { type ControllerServerDeps, RUN_BODY_LIMIT_BYTES, requirePerson } from "./server-context";

/** Build the API. Call `await app.ready()` (or `listen`) before use. */
export async function createControllerServer(deps: ControllerServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 256 * 1024,
    // Run ids and learner ids are short; anything longer is hostile.
    routerOptions: { maxParamLength: 100 },
    // A malformed or over-long path gets the one error shape too (Fastify's own body differs).
    frameworkErrors: (error, _request, reply) => {
      const tooLong = (error as { code?: string }).code === "FST_ERR_MAX_PARAM_LENGTH";
      (reply as FastifyReply).code(400).send({
        error: tooLong
          ? "invalid request: a path segment is too long (ids are at most 100 characters)"
          : "invalid request: the path is not a valid URL",
      });
    },
    // The gateway routes `/api/` to the controller unchanged (charts/names.ts API_PATH): serve the
    // API at `/api/v1/...` as well as `/v1/...`.
    rewriteUrl: (request) => {
      const url = request.url ?? "/";
      return url.startsWith(API_PATH) ? url.slice(API_PATH.length - 1) : url;
    },
  });
  const metrics = new HttpMetrics();
  const limits = deps.limits ?? DEFAULT_REQUEST_LIMITS;
  const publicOrigins = deps.publicOrigins ?? [];
  // Tokens an instructor rotated replace the Secret's (session-routes.ts).
  for (const r of deps.store.sessions.rotations()) {
    deps.tokens.applyRotation(r.role, r.personId, r.tokenSha256, r.replacedSha256);
  }
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON bodies must be valid UTF-8: Node would otherwise turn bad bytes into U+FFFD silently.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseUtf8Json(app));
  // Before the auth hook, which reads the session cookie from `request.cookies`.
  await app.register(cookie);
  // Every `/v1/` answer can be one of these; the OpenAPI document says so on every route (this
  // hook runs before swagger's, which reads the schema).
  const knownRoutes = new KnownRoutes();
  app.addHook("onRoute", (route) => {
    knownRoutes.add(route.url, route.method);
    if (!route.url.startsWith("/v1/")) return;
    const schema = (route.schema ?? {}) as { response?: Record<string, unknown> };
    const common = route.config?.public ? errorResponses(400, 403, 429, 500) : errorResponses(400, 401, 403, 429, 500);
    route.schema = { ...schema, response: { ...common, ...schema.response } };
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "labkit lab-controller API",
        description:
          "Submit, queue and follow LoRA/QLoRA fine-tuning runs under VRAM quotas. Authenticate with `Authorization: Bearer <token>` (or, in a browser, the session cookie from `POST /v1/login`; cookie requests that change something must come from the dashboard's origin).",
        version: "1",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    // Each route's zod schemas become its OpenAPI schemas; those with `.meta({ id })` become components.
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.decorate("publicTls", deps.publicTls ?? false);
  app.decorateRequest("principal", undefined);
  app.decorateRequest("credential", undefined);
  // Who is calling is decided by the matched route, never by the raw URL: the router decodes
  // `/%761/runs` to `/v1/runs`, and it is that route's rule that applies.
  app.addHook("onRequest", async (request, reply) => {
    if (request.is404) {
      // A known path with another method: 405 with `Allow`, before any body is parsed.
      const path = request.url.split("?")[0];
      const allowed = knownRoutes.methodsOf(path);
      if (allowed.length === 0) return;
      return reply
        .code(405)
        .header("allow", allowed.join(", "))
        .send({ error: `${request.method} is not allowed on ${path}: use ${allowed.join(" or ")} (see /docs)` });
    }
    const route = request.routeOptions.url;
    if (!route?.startsWith("/v1/")) return;
    if (!queryIsValidUtf8(request.url)) {
      return reply.code(400).send({ error: "invalid request: the query string is not valid UTF-8 percent-encoding" });
    }
    if (request.routeOptions.config?.public) {
      // A page on another site must not log a browser in or out (login CSRF).
      if (
        changesState(request.method) &&
        request.headers.origin !== undefined &&
        !originAllowed(request, publicOrigins)
      ) {
        return reply.code(403).send({ error: crossOriginRefusal(request) });
      }
      return;
    }
    const runId = (request.params as { id?: string } | undefined)?.id;
    const caller = authenticate(request, deps.tokens, deps.store, runId);
    if (!caller) {
      await reply.code(401).header("www-authenticate", 'Bearer realm="labkit"').send({
        error:
          "missing, unknown or expired credentials: log in again, or send `Authorization: Bearer <your token>` (your token is in your lab's welcome page)",
      });
      return reply;
    }
    if (caller.credential === "session" && changesState(request.method) && !originAllowed(request, publicOrigins)) {
      return reply.code(403).send({ error: crossOriginRefusal(request) });
    }
    request.principal = caller.principal;
    request.credential = caller.credential;
  });
  // Per caller (a person, a run's runner, or an address before login): a request budget per
  // minute and a cap on open event streams, so one tab or script cannot starve the class.
  await app.register(rateLimit, {
    global: true,
    hook: "preHandler",
    timeWindow: 60_000,
    max: (request: FastifyRequest) => limits.requestsPerMinute[rateLimitKey(request).kind],
    keyGenerator: (request: FastifyRequest) => rateLimitKey(request).key,
    allowList: (request: FastifyRequest) => !request.routeOptions.url?.startsWith("/v1/"),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `too many requests: at most ${context.max} a minute; retry in ${context.after}`,
    }),
  });
  const streams = new EventStreamLimiter(limits.eventStreamsPerPerson);
  app.addHook("preHandler", async (request, reply) => {
    if (!request.routeOptions.config?.eventStream) return;
    const release = streams.acquire(rateLimitKey(request).key);
    if (!release) {
      return reply.code(429).send({
        error: `too many open event streams: at most ${limits.eventStreamsPerPerson} per person; close other dashboard tabs`,
      });
    }
    request.raw.once("close", release);
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.observe(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime);
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
    if (error instanceof RunInputError) {
      return reply.code(400).send({ error: error.message, problems: error.problems });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.code(400).send(invalidRequestBody(error.validation, error.validationContext, request));
    }
    if (error.validation) {
      return reply.code(400).send({ error: `invalid request: ${error.message}` });
    }
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).send({
        error: `the request body is too large: ${error.message}; datasets may be at most ${MAX_DATASET_BYTES / 1048576} MiB`,
      });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.message });
    }
    request.log.error(error);
    console.error(`lab-controller: ${request.method} ${request.url} failed: ${error.stack ?? error.message}`);
    return reply.code(500).send({ error: "the controller failed to answer this request; it has been logged" });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no such endpoint: ${request.method} ${request.url.split("?")[0]} (see /docs)` });
  });

  app.get("/healthz", { config: { public: true }, schema: { hide: true } }, async () => ({ ok: true }));
  app.get("/readyz", { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const ready = deps.ready ? deps.ready() : true;
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  registerSessionRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerDatasetRoutes(app, deps);
  registerCohortRoutes(app, deps, metrics);

  if (deps.dashboard ?? true) {
    const { registerDashboard } = await import("../../dashboard/plugin");
    await registerDashboard(app);
  }
  return app;
}

/** Why a cookie request from another origin was refused. */
function crossOriginRefusal(request: FastifyRequest): string {
  return `cross-origin request refused: a page on ${request.headers.origin ?? "another site"} may not act with this browser's labkit session; use the dashboard, or send \`Authorization: Bearer <token>\``;
}
