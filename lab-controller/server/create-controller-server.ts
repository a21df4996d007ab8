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
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
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
import { authenticate } from "./authenticate";
import { registerCohortRoutes } from "./cohort-routes";
import { invalidRequestBody } from "./error-body";
import { HttpMetrics } from "./http-metrics";
import { registerRunRoutes } from "./run-routes";
import type { ControllerServerDeps } from "./server-context";

export { type ControllerServerDeps, RUN_BODY_LIMIT_BYTES, requirePerson } from "./server-context";

/** Build the API. Call `await app.ready()` (or `listen`) before use. */
export async function createControllerServer(deps: ControllerServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 256 * 1024,
    // Run ids and learner ids are short; anything longer is hostile.
    routerOptions: { maxParamLength: 100 },
    // The gateway routes `/api/` to the controller unchanged (charts/names.ts API_PATH): serve the
    // API at `/api/v1/...` as well as `/v1/...`.
    rewriteUrl: (request) => {
      const url = request.url ?? "/";
      return url.startsWith(API_PATH) ? url.slice(API_PATH.length - 1) : url;
    },
  });
  const metrics = new HttpMetrics();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Before the auth hook, which reads the session cookie from `request.cookies`.
  await app.register(cookie);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "labkit lab-controller API",
        description:
          "Submit, queue and follow LoRA/QLoRA fine-tuning runs under VRAM quotas. Authenticate with `Authorization: Bearer <token>` (or the `labkit_session` cookie from `POST /v1/login`).",
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

  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (request, reply) => {
    const url = request.url;
    if (request.routeOptions.config?.public || !url.startsWith("/v1/")) return;
    const runId = (request.params as { id?: string } | undefined)?.id;
    const principal = authenticate(request, deps.tokens, deps.store, runId);
    if (!principal) {
      await reply.code(401).header("www-authenticate", 'Bearer realm="labkit"').send({
        error:
          "missing or unknown token: send `Authorization: Bearer <your token>` (your token is in your lab's welcome page)",
      });
      return reply;
    }
    request.principal = principal;
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

  registerRunRoutes(app, deps);
  registerCohortRoutes(app, deps, metrics);

  if (deps.dashboard ?? true) {
    const { registerDashboard } = await import("../../dashboard/plugin");
    await registerDashboard(app);
  }
  return app;
}
