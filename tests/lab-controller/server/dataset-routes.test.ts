import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetObjectKey } from "../../../charts/names";
import type { ArtifactLink, ArtifactStore } from "../../../lab-controller/artifacts/artifact-store";
import { DATASET_ID_PATTERN } from "../../../schema/run-spec";
import { type ControllerFixture, startControllerFixture } from "../controller-fixture";

const BUCKET = "labkit-test-artifacts";

/** The artifact bucket, in memory. */
class MemoryBucket implements ArtifactStore {
  readonly bucket = BUCKET;
  readonly objects = new Map<string, Buffer>();
  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, body);
  }
  async links(): Promise<ArtifactLink[]> {
    return [];
  }
  async readText(key: string): Promise<string | undefined> {
    return this.objects.get(key)?.toString("utf8");
  }
}

/** A valid JSONL dataset of `n` conversations, different for each `tag`. */
function jsonl(tag: string, n = 3): string {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: "user", content: `${tag}: why is pod ${i} Pending?` },
        { role: "assistant", content: "Check the node's taints." },
      ],
    }),
  );
  return `${lines.join("\n")}\n`;
}

const base64 = (text: string) => Buffer.from(text).toString("base64");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("POST /v1/datasets and GET /v1/datasets", () => {
  let f: ControllerFixture;
  const bucket = new MemoryBucket();
  beforeAll(async () => {
    f = await startControllerFixture({ artifacts: bucket, concurrentRuns: 10 });
  });
  afterAll(async () => {
    await f?.close();
  });

  it("stores a learner's JSONL file in their area of the bucket and answers its server-issued id, without the uri", async () => {
    const content = jsonl("ada-first");
    const answer = await f.call("ada", "POST", "/v1/datasets", {
      name: "my-k8s.jsonl",
      contentBase64: base64(content),
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(DATASET_ID_PATTERN),
      learnerId: "ada",
      name: "my-k8s.jsonl",
      sha256: sha256(content),
      examples: 3,
      sizeBytes: content.length,
      createdAt: expect.any(String),
    });
    expect(bucket.objects.get(datasetObjectKey("test-cohort", "ada", sha256(content)))?.toString()).toBe(content);

    // The same bytes again keep their first record.
    const again = await f.call("ada", "POST", "/v1/datasets", {
      name: "renamed.jsonl",
      contentBase64: base64(content),
    });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(answer.body.id);
    expect(again.body.name).toBe("my-k8s.jsonl");
  });

  it("lists only the caller's own uploads; an instructor sees everyone's, or one learner's", async () => {
    await f.call("bob", "POST", "/v1/datasets", { name: "bobs.jsonl", contentBase64: base64(jsonl("bob")) });
    const ada = await f.call("ada", "GET", "/v1/datasets");
    expect(ada.status).toBe(200);
    expect(ada.body.datasets.map((d: { learnerId: string }) => d.learnerId)).toEqual(["ada"]);
    expect(ada.body.datasets[0]).not.toHaveProperty("uri");
    // A learner's `?learner=` does not widen the view.
    const probing = await f.call("ada", "GET", "/v1/datasets?learner=bob");
    expect(probing.body.datasets.map((d: { learnerId: string }) => d.learnerId)).toEqual(["ada"]);
    const all = await f.call("maria", "GET", "/v1/datasets");
    expect(all.body.datasets.map((d: { learnerId: string }) => d.learnerId).sort()).toEqual(["ada", "bob"]);
    const bobs = await f.call("maria", "GET", "/v1/datasets?learner=bob");
    expect(bobs.body.datasets.map((d: { name: string }) => d.name)).toEqual(["bobs.jsonl"]);
  });

  it("runs on an upload named by id, with the uri and sha256 from the controller's own record", async () => {
    const content = jsonl("ada-run");
    const uploaded = await f.call("ada", "POST", "/v1/datasets", { name: "run.jsonl", contentBase64: base64(content) });
    const submitted = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", dataset: { source: "upload", id: uploaded.body.id, testSplit: 0.2 } },
    });
    expect([201, 202]).toContain(submitted.status);
    expect(submitted.body.run.spec.dataset).toEqual({
      source: "upload",
      id: uploaded.body.id,
      name: "run.jsonl",
      uri: `s3://${BUCKET}/${datasetObjectKey("test-cohort", "ada", sha256(content))}`,
      sha256: sha256(content),
      testSplit: 0.2,
    });
    const estimate = await f.call("ada", "POST", "/v1/estimate", {
      spec: { exercise: "lora-warmup", dataset: { source: "upload", id: uploaded.body.id } },
    });
    expect(estimate.status).toBe(200);
    expect(estimate.body.spec.dataset.sha256).toBe(sha256(content));
  });

  it("refuses another learner's upload id as if it did not exist, and stores nothing", async () => {
    const adas = await f.call("ada", "POST", "/v1/datasets", {
      name: "secret.jsonl",
      contentBase64: base64(jsonl("x")),
    });
    const before = f.store.listRuns({ learnerId: "bob" }).length;
    for (const path of ["/v1/runs", "/v1/estimate"]) {
      const stolen = await f.call("bob", "POST", path, {
        spec: { exercise: "lora-warmup", dataset: { source: "upload", id: adas.body.id } },
      });
      expect(stolen.status).toBe(400);
      expect(stolen.body.error).toContain(`no dataset \`${adas.body.id}\` among your uploads`);
      expect(stolen.body.problems).toEqual([
        `spec.dataset.id: no dataset \`${adas.body.id}\` among your uploads: GET /v1/datasets lists them`,
      ]);
    }
    // An instructor submitting for bob is held to bob's uploads too.
    const onBehalf = await f.call("maria", "POST", "/v1/runs", {
      learnerId: "bob",
      spec: { exercise: "lora-warmup", dataset: { source: "upload", id: adas.body.id } },
    });
    expect(onBehalf.status).toBe(400);
    expect(f.store.listRuns({ learnerId: "bob" })).toHaveLength(before);
  });

  it.each([
    [
      "a file:// uri",
      { source: "upload", uri: "file:///var/run/secrets/eks.amazonaws.com/serviceaccount/token" },
      "uri",
    ],
    [
      "another learner's s3:// uri",
      {
        source: "upload",
        uri: `s3://${BUCKET}/cohorts/test-cohort/learners/lab-bob/datasets/${"b".repeat(64)}.jsonl`,
        sha256: "b".repeat(64),
      },
      "uri",
    ],
    ["a sha256 of the caller's choosing", { source: "upload", sha256: "b".repeat(64) }, "sha256"],
  ])("refuses %s in spec.dataset with 400, saying the controller sets it", async (_what, dataset, field) => {
    for (const path of ["/v1/runs", "/v1/estimate"]) {
      const answer = await f.call("ada", "POST", path, { spec: { exercise: "lora-warmup", dataset } });
      expect(answer.status).toBe(400);
      expect(answer.body.problems[0]).toMatch(
        new RegExp(`^spec\\.dataset: \`${field}\`.* set by the controller from its own record of your upload`),
      );
    }
    // Also when the file comes inline with the run: the request's uri still does not pass.
    const inline = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", dataset },
      dataset: { name: "x.jsonl", contentBase64: base64(jsonl("inline-uri")) },
    });
    expect(inline.status).toBe(400);
    expect(inline.body.problems[0]).toMatch(/set by the controller/);
  });

  it("refuses a built-in dataset name outside the closed list, such as ../../..", async () => {
    const answer = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup", dataset: { source: "builtin", name: "../../.." } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.problems).toEqual([
      'spec.dataset.name: unknown built-in dataset "../../..": use one of k8s-troubleshooting, or upload your own (POST /v1/datasets) and name it by `id`',
    ]);
  });

  it("refuses display names with path separators or control characters, and bad files, with 400", async () => {
    for (const name of ["../../etc/passwd", "a/b.jsonl", "a\\b.jsonl", "bad\u0000.jsonl", ".."]) {
      const answer = await f.call("ada", "POST", "/v1/datasets", { name, contentBase64: base64(jsonl("n")) });
      expect(answer.status, name).toBe(400);
      expect(answer.body.error, name).toMatch(/^invalid request: body\/name expected a file name/);
    }
    const bad = await f.call("ada", "POST", "/v1/datasets", {
      name: "bad.jsonl",
      contentBase64: base64('{"text": "no messages"}\n'),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^dataset `bad.jsonl` line 1 has no `messages` list/);
    const unknownKey = await f.call("ada", "POST", "/v1/datasets", {
      name: "x.jsonl",
      contentBase64: base64(jsonl("k")),
      uri: "file:///etc/passwd",
    });
    expect(unknownKey.status).toBe(400);
  });

  it("lets an instructor upload for a learner on the roster, but not a learner for another", async () => {
    const forCleo = await f.call("maria", "POST", "/v1/datasets", {
      name: "for-cleo.jsonl",
      contentBase64: base64(jsonl("cleo")),
      learnerId: "cleo",
    });
    expect(forCleo.status).toBe(201);
    expect(forCleo.body.learnerId).toBe("cleo");
    const noLearner = await f.call("maria", "POST", "/v1/datasets", { name: "x.jsonl", contentBase64: base64("x") });
    expect(noLearner.status).toBe(400);
    const asOther = await f.call("ada", "POST", "/v1/datasets", {
      name: "x.jsonl",
      contentBase64: base64(jsonl("other")),
      learnerId: "bob",
    });
    expect(asOther.status).toBe(403);
  });
});

describe("POST /v1/datasets without an artifact bucket", () => {
  let f: ControllerFixture;
  beforeAll(async () => {
    f = await startControllerFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it("answers 503 saying uploads need the bucket, and lists none", async () => {
    const answer = await f.call("ada", "POST", "/v1/datasets", { name: "x.jsonl", contentBase64: base64(jsonl("a")) });
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatch(/dataset uploads need the artifact bucket/);
    expect((await f.call("ada", "GET", "/v1/datasets")).body).toEqual({ datasets: [] });
  });
});
