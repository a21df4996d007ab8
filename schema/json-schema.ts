/**
 * JSON Schemas generated from the zod schemas, for editors (cohort.yaml autocompletion) and for
 * the Python runner (it validates the RunSpec it is given). Never edit the generated files:
 * run `labkit schema --write`.
 */
import { z } from "zod";
import { CohortFileSchema } from "./cohort";
import { RunnerEventSchema, RunResultSchema, RunSummarySchema } from "./run-result";
import { RunSpecInputSchema, RunSpecSchema } from "./run-spec";

/** Folder (relative to the repository root) the generated schemas are written to. */
export const GENERATED_SCHEMA_DIR = "schema/generated";

const SCHEMAS = {
  "cohort.schema.json": { schema: CohortFileSchema, title: "labkit cohort.yaml", io: "input" },
  "run-spec.schema.json": { schema: RunSpecSchema, title: "labkit RunSpec (resolved)", io: "output" },
  "run-spec-input.schema.json": {
    schema: RunSpecInputSchema,
    title: "labkit RunSpec (as a learner sends it)",
    io: "input",
  },
  "run-result.schema.json": { schema: RunResultSchema, title: "labkit RunResult (results.json)", io: "output" },
  "run-summary.schema.json": {
    schema: RunSummarySchema,
    title: "labkit run summary (termination message)",
    io: "output",
  },
  "runner-event.schema.json": { schema: RunnerEventSchema, title: "labkit runner event", io: "output" },
} as const;

export type SchemaFileName = keyof typeof SCHEMAS;

/** Every generated schema by file name, as pretty JSON text ending in a newline. */
export function generateJsonSchemas(): Record<SchemaFileName, string> {
  const out = {} as Record<SchemaFileName, string>;
  for (const [fileName, { schema, title, io }] of Object.entries(SCHEMAS) as Array<
    [SchemaFileName, (typeof SCHEMAS)[SchemaFileName]]
  >) {
    const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Record<
      string,
      unknown
    >;
    out[fileName] = `${JSON.stringify({ title, ...json }, null, 2)}\n`;
  }
  return out;
}
