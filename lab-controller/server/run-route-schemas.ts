/**
 * The zod schemas of the run endpoints' requests and answers (run-routes.ts). They are built
 * from `schema/run-spec.ts` and `schema/run-result.ts`, so Fastify validates requests, serialises
 * answers and writes the OpenAPI document (`/docs/json`) from the same definitions the lifecycle
 * and the runner use. `.meta({ id })` makes a schema one component of the document.
 */
import { z } from "zod";
import { LossPointSchema, MetricValuesSchema, RUN_PHASES, SampleSchema } from "../../schema/run-result";
import { DatasetDisplayNameSchema, RunSpecInputSchema, RunSpecSchema } from "../../schema/run-spec";
import type { ArtifactLink } from "../artifacts/artifact-store";
import { RUN_STATES, type Run } from "../runs/run";
import type { FitReport } from "../runs/run-lifecycle";
import { LearnerIdSchema, RunIdSchema } from "./api-identifiers";

/** The `:id` of a run's path: 12 lower-case base-32 characters as `newRunId` makes them; anything else answers 400. */
export const RunIdParamsSchema = z.object({ id: RunIdSchema.describe("The run id, e.g. `k3v7q2m7xw4a`.") });

/** Query of `GET /v1/runs`: a malformed `learner` answers 400. */
export const RunListQuerySchema = z.object({
  learner: LearnerIdSchema.optional().describe("Instructors: only this learner's runs."),
});

/** The resolved RunSpec as one component (a copy of `RunSpecSchema`: registering the original would change other generators' output). */
export const RunSpecComponentSchema = RunSpecSchema.meta({
  id: "RunSpec",
  description: "A fully resolved RunSpec (schema/run-spec.ts): every field set.",
});

/** The partial RunSpec a learner sends, as one component. */
export const RunSpecInputComponentSchema = RunSpecInputSchema.meta({
  id: "PartialRunSpec",
  description:
    "A partial RunSpec (schema/run-spec.ts): missing fields come from the exercise's defaults, then the method's. Unknown keys are refused.",
});

/** Body of `POST /v1/estimate` and `POST /v1/runs`. */
export const SubmitRunRequestSchema = z
  .object({
    spec: RunSpecInputComponentSchema.optional(),
    dataset: z
      .object({
        name: DatasetDisplayNameSchema.describe("The file's name, for display (no path separators)."),
        contentBase64: z.string().describe("The JSONL file, base64-encoded (at most 16 MiB decoded)."),
      })
      .optional()
      .describe(
        "A JSONL dataset sent with the run: it becomes one of the learner's uploads (as POST /v1/datasets would store it) and the run's `spec.dataset` names it (`source: upload`, its `id`). The same as uploading first and naming the id.",
      ),
    learnerId: LearnerIdSchema.optional().describe("Instructors only: submit on behalf of this learner."),
  })
  .strict();

/** The VRAM estimate stored with a run. */
export const RunEstimateSchema = z.object({
  totalMiB: z.number().describe("Predicted peak VRAM of the run, MiB (what it is granted on the GPU)."),
  breakdown: z.record(z.string(), z.number()).describe("Parts of the total, MiB each."),
});

/** A run as every endpoint returns it (lab-controller/runs/run.ts). */
export const RunSchema = z
  .object({
    id: z.string(),
    learnerId: z.string(),
    exercise: z.string(),
    state: z.enum(RUN_STATES),
    spec: RunSpecComponentSchema,
    estimate: RunEstimateSchema,
    grantedMiB: z.number().optional().describe("VRAM granted on the GPU, MiB."),
    placement: z.object({ node: z.string(), gpuIndex: z.number().int() }).optional(),
    queuePosition: z.number().int().optional().describe("1-based place in the queue while queued."),
    etaSeconds: z.number().optional().describe("Expected seconds until the run starts (queued) or ends (running)."),
    reason: z.string().optional(),
    phase: z.enum(RUN_PHASES).optional(),
    peakVramMiB: z.number().optional(),
    metrics: z.object({ before: MetricValuesSchema.optional(), after: MetricValuesSchema.optional() }).optional(),
    samples: z.array(SampleSchema).readonly().optional(),
    lastLoss: z.number().optional(),
    step: z.number().optional(),
    totalSteps: z.number().optional(),
    artifactsUri: z.string().optional(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    attempts: z.number().int(),
  })
  .meta({ id: "Run", description: "A run: its resolved spec, estimate, state, placement and results." });

/** One nearby configuration that would fit. */
const FitSuggestionSchema = z.object({ change: z.string(), spec: RunSpecComponentSchema, totalMiB: z.number() });

/** Answer of `POST /v1/estimate`. */
export const FitReportSchema = z.object({
  fits: z.boolean(),
  spec: RunSpecComponentSchema,
  estimate: RunEstimateSchema,
  quotaMiB: z.number().describe("The learner's VRAM quota, MiB."),
  largestSlotMiB: z.number().describe("The largest GPU slot of the cohort, MiB."),
  reason: z.string().optional().describe("Why it does not fit (absent when it fits)."),
  suggestions: z.array(FitSuggestionSchema).readonly().describe("Nearby configurations that fit, nearest first."),
});

/** Answer of `POST /v1/runs` with 201 (admitted) or 202 (queued). */
export const SubmittedRunSchema = z.object({
  decision: z.enum(["admitted", "queued"]),
  reason: z.string().optional(),
  run: RunSchema,
});

/** Answer of `POST /v1/runs` with 422: the run can never run as submitted; nothing is stored. */
export const RefusedRunSchema = z.object({
  decision: z.literal("refused"),
  reason: z.string(),
  estimate: RunEstimateSchema,
  quotaMiB: z.number(),
  suggestions: z.array(FitSuggestionSchema).readonly(),
});

/** Answer of `POST /v1/runs/:id/events`. */
export const RunnerEventAckSchema = z.object({
  accepted: z.boolean().describe("False for a repeated `seq` (ignored)."),
  seq: z.number().int().optional().describe("The event's sequence number in the run's stream."),
});

/** Answer of `GET /v1/runs/:id/loss`: the loss at each reported step, for charts. */
export const LossHistorySchema = z.object({ points: z.array(LossPointSchema) });

/** Answer of `GET /v1/runs/:id/artifacts`. */
export const ArtifactLinksSchema = z.object({
  artifactsUri: z.string().optional(),
  artifacts: z.array(
    z.object({
      name: z.string().describe("File name below the run's prefix, e.g. `adapter.tar.gz`."),
      sizeBytes: z.number(),
      url: z.string().describe("Presigned GET URL."),
      expiresAt: z.string().describe("When the URL stops working (ISO 8601)."),
    }),
  ),
});

// A field added to Run, FitReport or ArtifactLink but not here would be dropped from answers: fail to compile instead.
type MissingKeys<T, S extends z.ZodType> = Exclude<keyof T, keyof z.output<S>>;
const everyKeyIsServed: [MissingKeys<Run, typeof RunSchema>, MissingKeys<FitReport, typeof FitReportSchema>] extends [
  never,
  never,
]
  ? [MissingKeys<ArtifactLink, (typeof ArtifactLinksSchema.shape.artifacts)["element"]>] extends [never]
    ? true
    : false
  : false = true;
void everyKeyIsServed;
