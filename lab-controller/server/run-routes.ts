/**
 * The run endpoints: estimate, submit, list, read, cancel, events (SSE and the
 * runner's POST), loss history and artifact links. A learner sees only their own runs (another
 * learner's run answers 404, so ids cannot be probed); an instructor sees every run; a runner
 * token may only post events for its own run.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { RunnerEventSchema } from "../../schema/run-result";
import { describeIssues } from "../../schema/run-spec";
import type { Run } from "../runs/run";
import { errorResponses, rejectUnlessDeferred } from "./error-body";
import {
  ArtifactLinksSchema,
  FitReportSchema,
  LossHistorySchema,
  RefusedRunSchema,
  RunIdParamsSchema,
  RunListQuerySchema,
  RunnerEventAckSchema,
  RunSchema,
  SubmitRunRequestSchema,
  SubmittedRunSchema,
} from "./run-route-schemas";
import { actingLearner, type ControllerServerDeps, RUN_BODY_LIMIT_BYTES, requirePerson } from "./server-context";
import { lastEventId, openSseStream } from "./sse-stream";

/**
 * A problem inside `spec` (not `spec` missing its object): the lifecycle reports it, after the
 * submitter and exercise checks, with the same RunSpecInput schema; so a request with several
 * mistakes is told the same one first as before zod checked requests.
 */
const insideSpec = (issue: FastifySchemaValidationError): boolean =>
  issue.instancePath.startsWith("/spec") && !(issue.instancePath === "/spec" && issue.keyword === "invalid_type");

/** Whether a body is a JSON object (what a runner event must be before its fields are checked). */
const isJsonObject = (value: unknown): boolean => value !== null && typeof value === "object" && !Array.isArray(value);

/** Register the run routes on `app`. */
export function registerRunRoutes(server: FastifyInstance, deps: ControllerServerDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { lifecycle, store } = deps;

  /** The run named in the path, if the caller may see it; otherwise answers 404 and returns undefined. */
  const visibleRun = (request: FastifyRequest, reply: FastifyReply): Run | undefined => {
    const { id } = request.params as { id: string };
    const p = requirePerson(request, reply);
    if (!p) return undefined;
    // The id already matched RunIdParamsSchema (a malformed one answered 400).
    const run = lifecycle.runView(id);
    if (!run || (p.role === "learner" && run.learnerId !== p.id)) {
      reply
        .code(404)
        .send({ error: `run \`${id}\` not found among ${p.role === "learner" ? "your runs" : "the cohort's runs"}` });
      return undefined;
    }
    return run;
  };

  /** The learner a submission is for: the caller, or (instructors) `learnerId`. */
  const submitter = (request: FastifyRequest, reply: FastifyReply, asked: string | undefined) =>
    actingLearner(request, reply, deps.cohort, asked, "submit", "runs");

  app.post(
    "/v1/estimate",
    {
      bodyLimit: RUN_BODY_LIMIT_BYTES,
      attachValidation: true,
      schema: {
        summary: "Dry run: does this spec fit, with the VRAM breakdown and configs that would.",
        tags: ["runs"],
        body: SubmitRunRequestSchema,
        response: { 200: FitReportSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request, reply) => {
      rejectUnlessDeferred(request, insideSpec);
      const { spec, dataset, learnerId: asked } = request.body;
      const learnerId = submitter(request, reply, asked);
      if (!learnerId) return reply;
      return lifecycle.estimate(learnerId, { spec, dataset });
    },
  );

  app.post(
    "/v1/runs",
    {
      bodyLimit: RUN_BODY_LIMIT_BYTES,
      attachValidation: true,
      schema: {
        summary:
          "Submit a run: validated, estimated, then admitted (201), queued (202) or refused (422) with the reason.",
        tags: ["runs"],
        body: SubmitRunRequestSchema,
        response: {
          201: SubmittedRunSchema.describe("Admitted: placed on a GPU, its Job created (`Location: /v1/runs/<id>`)."),
          202: SubmittedRunSchema.describe("Queued: waiting for a GPU; `run.queuePosition` and `reason` say why."),
          422: RefusedRunSchema.describe("Refused: it can never run as submitted; nothing is stored."),
          ...errorResponses(400, 401, 403, 413),
        },
      },
    },
    async (request, reply) => {
      rejectUnlessDeferred(request, insideSpec);
      const { spec, dataset, learnerId: asked } = request.body;
      const learnerId = submitter(request, reply, asked);
      if (!learnerId) return reply;
      const result = await lifecycle.submit(learnerId, { spec, dataset });
      if (result.decision === "refused") {
        return reply.code(422).send({
          decision: "refused",
          reason: result.reason,
          estimate: result.fit.estimate,
          quotaMiB: result.fit.quotaMiB,
          suggestions: result.fit.suggestions,
        });
      }
      return reply
        .code(result.decision === "admitted" ? 201 : 202)
        .header("location", `/v1/runs/${result.run.id}`)
        .send({ decision: result.decision, reason: result.reason, run: result.run });
    },
  );

  app.get(
    "/v1/runs",
    {
      schema: {
        summary: "Runs, newest first: a learner's own, or (instructors) everyone's, optionally `?learner=<id>`.",
        tags: ["runs"],
        querystring: RunListQuerySchema,
        response: { 200: z.object({ runs: z.array(RunSchema) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const p = requirePerson(request, reply);
      if (!p) return reply;
      const runs = p.role === "learner" ? lifecycle.listRuns(p.id) : lifecycle.listRuns(request.query.learner);
      return { runs };
    },
  );

  app.get(
    "/v1/runs/:id",
    {
      schema: {
        summary: "One run: state, queue position, ETA, metrics.",
        tags: ["runs"],
        params: RunIdParamsSchema,
        response: { 200: RunSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => visibleRun(request, reply) ?? reply,
  );

  app.delete(
    "/v1/runs/:id",
    {
      schema: {
        summary: "Cancel a run and delete its Job.",
        tags: ["runs"],
        params: RunIdParamsSchema,
        response: { 200: RunSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const run = visibleRun(request, reply);
      if (!run) return reply;
      const p = request.principal as { id: string; role: string };
      const cancelled = await lifecycle.cancel(run.id, p.role === "learner" ? "the learner" : `instructor ${p.id}`);
      // Gone between the lookup and the cancel (another request deleted it).
      return cancelled ?? reply.code(404).send({ error: `run \`${run.id}\` no longer exists` });
    },
  );

  app.get(
    "/v1/runs/:id/events",
    {
      config: { eventStream: true },
      schema: {
        summary: "Server-sent events of a run: progress, phase, memory, metrics, state. Honours Last-Event-ID.",
        operationId: "streamRunEvents",
        tags: ["runs"],
        params: RunIdParamsSchema,
        response: {
          200: {
            description: "An event stream: named events with `id:` lines and JSON data.",
            content: { "text/event-stream": { schema: z.string() } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const run = visibleRun(request, reply);
      if (!run) return reply;
      const stream = openSseStream(request, reply);
      let sent = lastEventId(request);
      const pending: Array<{ seq: number; type: string; data: unknown }> = [];
      let replaying = true;
      const off = lifecycle.bus.onRun(run.id, (event) => {
        if (replaying) pending.push(event);
        else if (event.seq > sent) {
          sent = event.seq;
          stream.send({ id: event.seq, event: event.type, data: event.data });
        }
      });
      stream.onClose(off);
      for (const event of [...store.eventsAfter(run.id, sent), ...pending]) {
        if (event.seq <= sent) continue;
        sent = event.seq;
        stream.send({ id: event.seq, event: event.type, data: event.data });
      }
      replaying = false;
    },
  );

  app.post(
    "/v1/runs/:id/events",
    {
      bodyLimit: 64 * 1024,
      attachValidation: true,
      schema: {
        summary: "For the runner: post one event (RunnerEvent JSON) with the run's own token.",
        tags: ["runner"],
        params: RunIdParamsSchema,
        body: RunnerEventSchema,
        response: { 202: RunnerEventAckSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      // A body that is not an object is refused first, then a caller that is not this run's runner, then the event's fields.
      if (!isJsonObject(request.body)) rejectUnlessDeferred(request, () => false);
      const { id } = request.params;
      const p = request.principal;
      if (p?.role !== "runner" || p.runId !== id) {
        return reply.code(403).send({ error: "only the run's own runner token may post its events" });
      }
      const parsed = RunnerEventSchema.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ error: "not a valid runner event", problems: describeIssues(parsed.error) });
      }
      const stored = lifecycle.acceptRunnerEvent(id, parsed.data);
      return reply.code(202).send({ accepted: stored !== undefined, ...(stored ? { seq: stored.seq } : {}) });
    },
  );

  app.get(
    "/v1/runs/:id/loss",
    {
      schema: {
        summary: "Loss history of a run, for charts.",
        tags: ["runs"],
        params: RunIdParamsSchema,
        response: { 200: LossHistorySchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const run = visibleRun(request, reply);
      if (!run) return reply;
      return { points: store.lossPoints(run.id) };
    },
  );

  app.get(
    "/v1/runs/:id/artifacts",
    {
      schema: {
        summary: "Presigned download URLs of a run's artifacts (adapter, results.json).",
        tags: ["runs"],
        params: RunIdParamsSchema,
        response: { 200: ArtifactLinksSchema, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const run = visibleRun(request, reply);
      if (!run) return reply;
      const artifacts = deps.lifecycle.artifactStore;
      if (!artifacts) return reply.code(503).send({ error: "this controller has no artifact bucket configured" });
      if (!run.artifactsUri) return { artifacts: [] };
      const prefix = run.artifactsUri.replace(`s3://${artifacts.bucket}/`, "");
      return { artifactsUri: run.artifactsUri, artifacts: await artifacts.links(prefix) };
    },
  );
}
