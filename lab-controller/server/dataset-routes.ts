/**
 * The dataset endpoints: `POST /v1/datasets` (a learner uploads a JSONL file; the controller
 * checks it, stores it in the learner's area of the bucket and answers its id) and
 * `GET /v1/datasets` (the caller's own uploads; instructors see everyone's). A RunSpec then
 * names the upload as `dataset: { source: upload, id }`, and the controller fills the run's
 * `uri` and `sha256` from its own record, for the learner who uploaded it only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { DatasetUploadError } from "../artifacts/dataset-library";
import {
  DatasetListQuerySchema,
  DatasetUploadRequestSchema,
  DatasetUploadSchema,
  datasetView,
} from "./dataset-route-schemas";
import { errorResponses } from "./error-body";
import { actingLearner, type ControllerServerDeps, RUN_BODY_LIMIT_BYTES, requirePerson } from "./server-context";

/** Register the dataset routes on `app`. */
export function registerDatasetRoutes(server: FastifyInstance, deps: ControllerServerDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { datasets } = deps.lifecycle;

  /** The learner an upload is for: the caller, or (instructors) `learnerId` on the roster. */
  const uploader = (request: FastifyRequest, reply: FastifyReply, asked: string | undefined) =>
    actingLearner(request, reply, deps.cohort, asked, "upload", "datasets");

  app.post(
    "/v1/datasets",
    {
      bodyLimit: RUN_BODY_LIMIT_BYTES,
      schema: {
        summary:
          "Upload a JSONL dataset (base64): checked, stored in your area of the bucket, answered with the `id` a RunSpec names it by.",
        tags: ["datasets"],
        body: DatasetUploadRequestSchema,
        response: {
          201: DatasetUploadSchema.describe("Stored (or already stored: the same file keeps its first id)."),
          ...errorResponses(400, 401, 403, 413, 503),
        },
      },
    },
    async (request, reply) => {
      const learnerId = uploader(request, reply, request.body.learnerId);
      if (!learnerId) return reply;
      try {
        datasets.bucketOrRefuse();
      } catch (error) {
        return reply.code(503).send({ error: (error as Error).message });
      }
      try {
        const record = await datasets.upload(learnerId, request.body.name, request.body.contentBase64);
        return reply.code(201).send(datasetView(record));
      } catch (error) {
        if (error instanceof DatasetUploadError) return reply.code(400).send({ error: error.message });
        throw error;
      }
    },
  );

  app.get(
    "/v1/datasets",
    {
      schema: {
        summary: "Your uploaded datasets, newest first; instructors: everyone's, optionally `?learner=<id>`.",
        tags: ["datasets"],
        querystring: DatasetListQuerySchema,
        response: { 200: z.object({ datasets: z.array(DatasetUploadSchema) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const p = requirePerson(request, reply);
      if (!p) return reply;
      const records = datasets.list(p.role === "learner" ? p.id : request.query.learner);
      return { datasets: records.map(datasetView) };
    },
  );
}
