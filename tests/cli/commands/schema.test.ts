import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cohortReferenceRows, renderCohortReference } from "../../../schema/cohort-reference";
import { generateJsonSchemas } from "../../../schema/json-schema";
import { REPO_ROOT, runLabkit } from "../../harness/run-cli";

describe("labkit schema", () => {
  it("prints the JSON Schema of cohort.yaml, with every top-level field", async () => {
    const result = await runLabkit(["schema"]);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.title).toBe("labkit cohort.yaml");
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "name",
        "schedule",
        "cloud",
        "gpuPools",
        "labs",
        "quotas",
        "models",
        "exercises",
        "learners",
      ]),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it("writes every schema into a folder with --write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labkit-schema-"));
    const result = await runLabkit(["schema", "--write", dir]);
    expect(result.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(generateJsonSchemas()).sort());
  });

  it("refuses an unknown schema name (exit 2), naming the known ones", async () => {
    const result = await runLabkit(["schema", "--name", "cohrt"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: unknown schema `cohrt`: use one of cohort, run-spec, run-spec-input, run-result, run-summary, runner-event\n",
    );
  });

  it("keeps the committed schema/generated files in step with the zod schemas (run `labkit schema --write`)", () => {
    for (const [name, text] of Object.entries(generateJsonSchemas())) {
      expect(readFileSync(join(REPO_ROOT, "schema/generated", name), "utf8"), name).toBe(text);
    }
  });

  it("points the example cohort at the generated schema for editors", () => {
    const firstLine = readFileSync(join(REPO_ROOT, "workshop/cohort.example.yaml"), "utf8").split("\n")[0];
    expect(firstLine).toBe("# yaml-language-server: $schema=../schema/generated/cohort.schema.json");
  });
});

describe("the cohort.yaml reference", () => {
  it("documents every field of the schema with a sentence (docs/cohort-reference.md)", () => {
    const undocumented = cohortReferenceRows()
      .filter((row) => row.description === "")
      .map((row) => row.path);
    expect(undocumented).toEqual([]);
  });

  it("is in step with the schema (run `labkit schema --reference > docs/cohort-reference.md`)", async () => {
    expect(readFileSync(join(REPO_ROOT, "docs/cohort-reference.md"), "utf8")).toBe(renderCohortReference());
    const result = await runLabkit(["schema", "--reference"]);
    expect(result.stdout).toBe(renderCohortReference());
  });
});
