/**
 * A fuzz pass over the controller's OpenAPI document with schemathesis (PyPI, pinned in
 * tests/requirements.txt) against the running controller: the real Fastify app on the
 * protocol-faithful fake API server, with a moto S3 bucket for datasets and artifacts.
 *
 * Every check runs (no 5xx; status codes, content types, headers and bodies as documented;
 * `ignored_auth`: each operation refuses a request without credentials; wrong methods answer
 * 405) as a learner and as an instructor, except two whose premise the API rejects on purpose:
 *
 * - `positive_data_acceptance`: a schema-valid body can still be refused with 400 (a dataset that
 *   is not chat JSONL, a model outside the cohort's catalog): meaning, not shape.
 * - `use_after_free`: `DELETE /v1/runs/{id}` cancels a run and keeps its record (state
 *   `cancelled`), so the learner sees what happened; it is not a deletion.
 *
 * The event streams (`streamRunEvents`, `streamCohortEvents`) never end, so they are left to
 * the tests in tests/lab-controller/server. Slow-ish (about a minute); run alone with
 * `npx vitest run tests/security`. Seed: `LABKIT_FUZZ_SEED` (default fixed, so CI is repeatable).
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ArtifactStore } from "../../lab-controller/artifacts/artifact-store";
import { type MotoS3, startMotoS3 } from "../harness/moto-s3";
import { type ControllerFixture, startControllerFixture, TOKENS } from "../lab-controller/controller-fixture";

const SCHEMATHESIS = join(__dirname, "..", "..", ".venv", "bin", "schemathesis");
const BUCKET = "labkit-fuzz-artifacts";
const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
const SEED = process.env.LABKIT_FUZZ_SEED ?? "20261204";

let moto: MotoS3;
let f: ControllerFixture;

beforeAll(async () => {
  if (!existsSync(SCHEMATHESIS)) {
    throw new Error(
      `${SCHEMATHESIS} not found: install the test requirements into the venv (.venv/bin/pip install -r tests/requirements.txt, as .ci/run does)`,
    );
  }
  moto = await startMotoS3();
  const s3 = new S3Client({ endpoint: moto.endpointUrl, region: "us-east-1", forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  f = await startControllerFixture({
    gpuNodes: 2,
    artifacts: new S3ArtifactStore(BUCKET, { endpoint: moto.endpointUrl, region: "us-east-1", credentials }),
    // The fuzzer sends thousands of requests a minute; the limits have their own tests.
    limits: { requestsPerMinute: { person: 1e9, runner: 1e9, anonymous: 1e9 }, eventStreamsPerPerson: 1000 },
  });
}, 60_000);

afterAll(async () => {
  await f?.close();
  await moto?.stop();
});

/** Run schemathesis with every check as `who`; returns its exit code and the summary. */
async function fuzz(who: keyof typeof TOKENS): Promise<{ exitCode: number | undefined; output: string }> {
  const cwd = mkdtempSync(join(tmpdir(), "labkit-fuzz-"));
  const result = await execa(
    SCHEMATHESIS,
    [
      "run",
      `${f.url}/docs/json`,
      "--url",
      f.url,
      "--header",
      `Authorization: Bearer ${TOKENS[who]}`,
      "--exclude-operation-id",
      "streamRunEvents",
      "--exclude-operation-id",
      "streamCohortEvents",
      "--checks",
      "all",
      "--exclude-checks",
      "positive_data_acceptance,use_after_free",
      "--max-examples",
      "20",
      "--seed",
      SEED,
      "--request-timeout",
      "10",
      "--generation-database",
      "none",
      "--no-color",
    ],
    { cwd, reject: false, all: true, timeout: 240_000, env: { NO_COLOR: "1" } },
  );
  return { exitCode: result.exitCode, output: result.all ?? "" };
}

describe("schemathesis against the running controller", () => {
  for (const who of ["ada", "maria"] as const) {
    it(`finds no server error and no answer outside the documented schemas, as ${who === "ada" ? "a learner" : "an instructor"}`, async () => {
      const { exitCode, output } = await fuzz(who);
      const summary = output.slice(output.indexOf("===================================== SUMMARY") >>> 0);
      expect(output, "schemathesis generated no test cases").toMatch(/\d+ generated/);
      expect(exitCode, `schemathesis found failures:\n${output.slice(-12_000)}`).toBe(0);
      expect(summary).not.toMatch(/ST101|Server error/);
    }, 300_000);
  }
});
