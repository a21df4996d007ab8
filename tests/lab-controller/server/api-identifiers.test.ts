import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDatasetId } from "../../../lab-controller/artifacts/dataset-library";
import { newRunId } from "../../../lab-controller/runs/run-admission";
import { LearnerIdSchema, RunIdSchema } from "../../../lab-controller/server/api-identifiers";
import { DatasetIdSchema } from "../../../schema/run-spec";
import { type ControllerFixture, startControllerFixture } from "../controller-fixture";

describe("the identifier patterns", () => {
  it("accept every id the controller makes", () => {
    for (let i = 0; i < 2000; i++) {
      const runId = newRunId();
      expect(RunIdSchema.safeParse(runId).success, runId).toBe(true);
      const datasetId = newDatasetId();
      expect(DatasetIdSchema.safeParse(datasetId).success, datasetId).toBe(true);
    }
  });

  it("accept the learner ids cohort.yaml accepts, and nothing that is not a DNS label of at most 59", () => {
    for (const good of ["ada", "learner-07", "a".repeat(59)])
      expect(LearnerIdSchema.safeParse(good).success).toBe(true);
    for (const bad of ["Ada", "../bob", "bob/", "-bob", "bob-", "a".repeat(60), "", "ada bob", "ada%00"]) {
      expect(LearnerIdSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe("every path segment and name the API takes is checked against its pattern", () => {
  let f: ControllerFixture;
  beforeAll(async () => {
    f = await startControllerFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it.each([
    ["GET", "/v1/runs/..%2F..%2Fetc"],
    ["GET", "/v1/runs/ABCDEFGHIJKL"],
    ["GET", "/v1/runs/abc"],
    ["GET", "/v1/runs/k3v7q2m7xw4a0"],
    ["GET", "/v1/runs/k3v9q2m7xw4a"],
    ["DELETE", "/v1/runs/1abcdefghijk"],
    ["GET", "/v1/runs/%2E%2E%2Fx/loss"],
    ["GET", "/v1/runs/a'%20OR%201=1/artifacts"],
    ["GET", "/v1/runs/k3v7q2m7xw4%24/events"],
  ])("%s %s: 400 with { error }, not 404 or 500", async (method, path) => {
    const answer = await f.call("ada", method, path);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: expect.stringMatching(/^invalid request: params\/id expected a run id/) });
  });

  it("answers a well-formed run id that is not the caller's with 404, as before", async () => {
    const answer = await f.call("ada", "GET", "/v1/runs/k3v7q2m7xw4a");
    expect(answer.status).toBe(404);
  });

  it.each(["/v1/runs?learner=..%2Fbob", "/v1/runs?learner=Ada", "/v1/runs?learner=", "/v1/datasets?learner=%2e%2e"])(
    "GET %s: a malformed learner id answers 400",
    async (path) => {
      const answer = await f.call("maria", "GET", path);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/^invalid request: querystring\/learner/);
    },
  );

  it("answers a malformed learnerId in a submission with 400, before anything else", async () => {
    for (const path of ["/v1/runs", "/v1/estimate"]) {
      const answer = await f.call("maria", "POST", path, { learnerId: "../ada", spec: { exercise: "lora-warmup" } });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/^invalid request: body\/learnerId expected a learner id/);
    }
  });

  it("answers a malformed upload id in a spec, and a bad inline dataset name, with 400", async () => {
    const badId = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", dataset: { source: "upload", id: "ds-../../x" } },
    });
    expect(badId.status).toBe(400);
    expect(badId.body.problems[0]).toMatch(/^spec\.dataset\.id: expected an upload id/);
    const badName = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup" },
      dataset: { name: "../x.jsonl", contentBase64: "eA==" },
    });
    expect(badName.status).toBe(400);
    expect(badName.body.error).toMatch(/^invalid request: body\/dataset\/name expected a file name/);
  });
});
