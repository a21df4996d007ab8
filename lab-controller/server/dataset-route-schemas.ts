/**
 * The zod schemas of the dataset endpoints (dataset-routes.ts): what a learner uploads and what
 * the controller answers about an upload. The answer has no `uri`: where the file lies in the
 * bucket is the controller's business; a RunSpec names the upload by `id`.
 */
import { z } from "zod";
import { DatasetDisplayNameSchema, DatasetIdSchema } from "../../schema/run-spec";
import type { DatasetRecord } from "../store/dataset-store";
import { LearnerIdSchema } from "./api-identifiers";

/** Body of `POST /v1/datasets`. */
export const DatasetUploadRequestSchema = z
  .object({
    name: DatasetDisplayNameSchema.describe("The file's name, for display, e.g. `my-data.jsonl` (no path separators)."),
    contentBase64: z.string().describe("The JSONL file, base64-encoded (at most 16 MiB decoded)."),
    learnerId: LearnerIdSchema.optional().describe("Instructors only: upload for this learner."),
  })
  .strict();

/** Query of `GET /v1/datasets`. */
export const DatasetListQuerySchema = z.object({
  learner: LearnerIdSchema.optional().describe("Instructors: only this learner's uploads."),
});

/** One upload, as the API shows it. */
export const DatasetUploadSchema = z
  .object({
    id: DatasetIdSchema.describe("Name it in a RunSpec as `dataset: { source: upload, id }`."),
    learnerId: z.string().describe("Who uploaded it."),
    name: z.string().describe("The file's name, for display."),
    sha256: z.string().describe("sha256 of the file, hex; the runner checks it."),
    examples: z.number().int().describe("Number of examples (non-empty lines)."),
    sizeBytes: z.number().int(),
    createdAt: z.string().describe("When it was uploaded (ISO 8601)."),
  })
  .meta({ id: "DatasetUpload", description: "A JSONL dataset a learner uploaded." });

/** The API's view of a stored upload (no `uri`). */
export function datasetView(record: DatasetRecord): z.infer<typeof DatasetUploadSchema> {
  const { uri: _uri, ...shown } = record;
  return shown;
}
