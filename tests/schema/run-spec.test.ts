import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_DATASETS,
  DatasetDisplayNameSchema,
  ExerciseDatasetSchema,
  RunSpecError,
  type RunSpecInput,
  resolveRunSpec,
  type UploadRecord,
} from "../../schema/run-spec";
import { REPO_ROOT } from "../harness/run-cli";

const exercise: RunSpecInput = {
  baseModel: "Qwen/Qwen2.5-1.5B-Instruct",
  method: "qlora",
  lora: { r: 16 },
  training: { maxSeqLength: 1024, microBatchSize: 4 },
  dataset: { source: "builtin", name: "k8s-troubleshooting" },
};

describe("resolveRunSpec", () => {
  it("fills every field from the exercise, then from the method's defaults", () => {
    const spec = resolveRunSpec({}, "qlora-challenge", exercise);
    expect(spec.exercise).toBe("qlora-challenge");
    expect(spec.baseModel).toBe("Qwen/Qwen2.5-1.5B-Instruct");
    expect(spec.quantization).toEqual({ bits: 4, quantType: "nf4", doubleQuant: true, computeDtype: "bfloat16" });
    expect(spec.lora).toEqual({ r: 16, alpha: 32, dropout: 0.05, targetModules: "all-linear" });
    expect(spec.training.optimizer).toBe("paged_adamw_32bit");
    expect(spec.training.gradientCheckpointing).toBe(true);
    expect(spec.dataset).toEqual({ source: "builtin", name: "k8s-troubleshooting", testSplit: 0.1 });
  });

  it("lets the learner's values win over the exercise's, and keeps alpha at 2 × r unless set", () => {
    const spec = resolveRunSpec({ lora: { r: 8 }, training: { microBatchSize: 1 } }, "x", exercise);
    expect(spec.lora.r).toBe(8);
    expect(spec.lora.alpha).toBe(16);
    expect(spec.training.microBatchSize).toBe(1);
    expect(spec.training.maxSeqLength).toBe(1024);
  });

  it("gives a learner who switches to lora a 16-bit base", () => {
    const spec = resolveRunSpec({ method: "lora" }, "x", exercise);
    expect(spec.method).toBe("lora");
    expect(spec.quantization.bits).toBe(16);
  });

  it("refuses qlora on a 16-bit base, saying how to fix it", () => {
    expect(() => resolveRunSpec({ quantization: { bits: 16 } }, "x", exercise)).toThrow(
      "quantization.bits: method qlora trains on a 4-bit base, but quantization.bits is 16: set bits to 4, or use method lora",
    );
  });

  it("refuses unknown keys instead of silently falling back to a default", () => {
    try {
      resolveRunSpec({ training: { microBatch: 2 } }, "x", exercise);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RunSpecError);
      expect((error as RunSpecError).problems[0]).toMatch(/^training: Unrecognized key: "microBatch"/);
    }
  });

  it("lists every problem at once", () => {
    try {
      resolveRunSpec({ lora: { r: 0 }, training: { learningRate: -1 } }, "x", exercise);
      expect.unreachable();
    } catch (error) {
      expect((error as RunSpecError).problems.map((p) => p.split(":")[0]).sort()).toEqual([
        "lora.r",
        "training.learningRate",
      ]);
    }
  });
});

describe("the dataset a RunSpec names", () => {
  const upload: UploadRecord = {
    name: "mine.jsonl",
    uri: "s3://labkit-artifacts/cohorts/c/learners/lab-ada/datasets/aaaa.jsonl",
    sha256: "a".repeat(64),
  };
  const adaUploads = (id: string) => (id === "ds-k3v7q2m7xw4a" ? upload : undefined);

  it("lists exactly the built-in datasets the runner image ships (workshop/datasets/*.jsonl)", () => {
    const shipped = readdirSync(join(REPO_ROOT, "workshop/datasets"))
      .filter((f) => f.endsWith(".jsonl"))
      .map((f) => f.replace(/\.jsonl$/, ""))
      .sort();
    expect([...BUILTIN_DATASETS].sort()).toEqual(shipped);
    // The runner image copies that folder to the datasets directory the runner reads.
    const dockerfile = readFileSync(join(REPO_ROOT, "images/runner/Dockerfile"), "utf8");
    expect(dockerfile).toContain("COPY workshop/datasets/*.jsonl /opt/labkit/datasets/");
    expect(dockerfile).toMatch(/LABKIT_DATASETS_DIR=\/opt\/labkit\/datasets/);
  });

  it("hands the closed list to the Python runner as an enum in the generated run-spec schema", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "schema/generated/run-spec.schema.json"), "utf8"));
    const builtin = schema.properties.dataset.oneOf.find(
      (branch: { properties: { source: { const: string } } }) => branch.properties.source.const === "builtin",
    );
    expect(builtin.properties.name.enum).toEqual([...BUILTIN_DATASETS]);
  });

  it.each([
    "../../..",
    "../../etc/passwd",
    "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    "K8S-TROUBLESHOOTING",
  ])("refuses the built-in name %j, naming the ones that exist", (name) => {
    expect(() => resolveRunSpec({ dataset: { name } }, "x", exercise)).toThrow(
      `dataset.name: unknown built-in dataset ${JSON.stringify(name)}: use one of k8s-troubleshooting, or upload your own (POST /v1/datasets) and name it by \`id\``,
    );
  });

  it.each([
    ["a file:// uri", { source: "upload", uri: "file:///var/run/secrets/eks.amazonaws.com/serviceaccount/token" }],
    [
      "another learner's s3:// uri",
      { source: "upload", uri: `s3://labkit-artifacts/cohorts/c/learners/lab-bob/datasets/${"b".repeat(64)}.jsonl` },
    ],
    ["a sha256", { source: "upload", id: "ds-k3v7q2m7xw4a", sha256: "b".repeat(64) }],
    ["a uri on a built-in dataset", { source: "builtin", name: "k8s-troubleshooting", uri: "file:///etc/passwd" }],
  ])("never takes %s from the caller: the controller sets it", (_what, dataset) => {
    try {
      resolveRunSpec({ dataset }, "x", exercise, { findUpload: adaUploads });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RunSpecError);
      const field = "uri" in dataset ? "uri" : "sha256";
      expect((error as RunSpecError).problems[0]).toMatch(
        new RegExp(
          `^dataset: \`${field}\` is set by the controller from its own record of your upload, never by the caller`,
        ),
      );
    }
  });

  it("resolves an upload by id to the uri and sha256 of the controller's record, and its name", () => {
    const spec = resolveRunSpec(
      { dataset: { source: "upload", id: "ds-k3v7q2m7xw4a", testSplit: 0.2 } },
      "x",
      exercise,
      {
        findUpload: adaUploads,
      },
    );
    // The exercise's built-in name is not inherited by a switch to an upload.
    expect(spec.dataset).toEqual({ source: "upload", id: "ds-k3v7q2m7xw4a", ...upload, testSplit: 0.2 });
  });

  it("refuses an upload id the caller does not own, and any upload without a resolver", () => {
    const other = { dataset: { source: "upload", id: "ds-aaaaaaaaaaaa" } };
    expect(() => resolveRunSpec(other, "x", exercise, { findUpload: adaUploads })).toThrow(
      "dataset.id: no dataset `ds-aaaaaaaaaaaa` among your uploads: GET /v1/datasets lists them",
    );
    expect(() => resolveRunSpec({ dataset: { source: "upload", id: "ds-k3v7q2m7xw4a" } }, "x", exercise)).toThrow(
      "no dataset `ds-k3v7q2m7xw4a` among your uploads",
    );
    expect(() => resolveRunSpec({ dataset: { source: "upload" } }, "x", exercise)).toThrow(
      "dataset.id: source `upload` names one of your uploads by id",
    );
  });

  it("refuses a malformed upload id, an id on a built-in dataset and a name on an upload", () => {
    const problemsOf = (dataset: unknown) => {
      try {
        resolveRunSpec({ dataset }, "x", exercise, { findUpload: adaUploads });
      } catch (error) {
        return (error as RunSpecError).problems;
      }
      return [];
    };
    expect(problemsOf({ source: "upload", id: "../ds-k3v7q2m7xw4a" })[0]).toMatch(
      /^dataset\.id: expected an upload id/,
    );
    expect(problemsOf({ id: "ds-k3v7q2m7xw4a" })[0]).toMatch(
      /^dataset\.id: `id` names one of your uploads: set `source: upload`/,
    );
    expect(problemsOf({ source: "upload", id: "ds-k3v7q2m7xw4a", name: "k8s-troubleshooting" })[0]).toMatch(
      /^dataset\.name: an upload keeps the name it was uploaded with/,
    );
  });

  it("refuses display names with path separators or control characters, and `.` or `..`", () => {
    for (const bad of ["../x.jsonl", "a/b.jsonl", "a\\b.jsonl", "x\u0000.jsonl", "x\n.jsonl", "..", ".", ""]) {
      expect(DatasetDisplayNameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    for (const good of ["my-data.jsonl", "Meine Daten (v2).jsonl", "..hidden.jsonl", "données.jsonl"]) {
      expect(DatasetDisplayNameSchema.safeParse(good).success, good).toBe(true);
    }
  });

  it("lets an exercise in cohort.yaml name only a built-in dataset", () => {
    expect(ExerciseDatasetSchema.safeParse({ source: "builtin", name: "k8s-troubleshooting" }).success).toBe(true);
    expect(ExerciseDatasetSchema.safeParse({ source: "upload", id: "ds-k3v7q2m7xw4a" }).success).toBe(false);
    expect(ExerciseDatasetSchema.safeParse({ source: "builtin", name: "../../.." }).success).toBe(false);
  });
});
