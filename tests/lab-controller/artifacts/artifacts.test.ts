import { createHash } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ArtifactStore } from "../../../lab-controller/artifacts/artifact-store";
import type { RunResult } from "../../../schema/run-result";
import { type MotoS3, startMotoS3 } from "../../harness/moto-s3";
import { type ControllerFixture, finishPod, startControllerFixture, startPod } from "../controller-fixture";

const BUCKET = "labkit-test-artifacts";
const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

describe("datasets and artifacts in an S3-compatible bucket", () => {
  let moto: MotoS3;
  let s3: S3Client;
  let f: ControllerFixture;
  beforeAll(async () => {
    moto = await startMotoS3();
    s3 = new S3Client({ endpoint: moto.endpointUrl, region: "us-east-1", forcePathStyle: true, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    f = await startControllerFixture({
      artifacts: new S3ArtifactStore(BUCKET, { endpoint: moto.endpointUrl, region: "us-east-1", credentials }),
    });
  });
  afterAll(async () => {
    await f?.close();
    await moto?.stop();
  });

  it("stores a JSONL dataset sent with a run as an upload, content-addressed in the bucket, and points the run spec at it", async () => {
    const lines = [
      {
        messages: [
          { role: "user", content: "Pod is Pending" },
          { role: "assistant", content: "Check the node's taints." },
        ],
      },
      {
        messages: [
          { role: "user", content: "CrashLoopBackOff" },
          { role: "assistant", content: "Read the previous logs." },
        ],
      },
    ];
    const content = `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
    const sha256 = createHash("sha256").update(content).digest("hex");
    const answer = await f.call("ada", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup" },
      dataset: { name: "my-errors.jsonl", contentBase64: Buffer.from(content).toString("base64") },
    });
    expect(answer.status).toBe(201);
    const key = `cohorts/test-cohort/learners/lab-ada/datasets/${sha256}.jsonl`;
    const [upload] = (await f.call("ada", "GET", "/v1/datasets")).body.datasets;
    expect(upload).toMatchObject({ name: "my-errors.jsonl", sha256, examples: 2, sizeBytes: content.length });
    // The inline file became one of ada's uploads, and the spec names it by that id.
    expect(answer.body.run.spec.dataset).toEqual({
      source: "upload",
      id: upload.id,
      name: "my-errors.jsonl",
      uri: `s3://${BUCKET}/${key}`,
      sha256,
      testSplit: 0.1,
    });
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body?.transformToString()).toBe(content);
    await f.call("ada", "DELETE", `/v1/runs/${answer.body.run.id}`);
  });

  it("refuses a dataset line without `messages`, naming the line", async () => {
    const content = `${JSON.stringify({ messages: [{ role: "user", content: "a" }] })}\n${JSON.stringify({ text: "b" })}\n`;
    const answer = await f.call("bob", "POST", "/v1/runs", {
      spec: { exercise: "lora-warmup" },
      dataset: { name: "bad.jsonl", contentBase64: Buffer.from(content).toString("base64") },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(
      'dataset `bad.jsonl` line 2 has no `messages` list: each example needs {"messages": [{"role": ..., "content": ...}]}',
    );
  });

  it("finishes a run with the samples of its results.json and serves presigned links to its artifacts", async () => {
    const { body } = await f.call("cleo", "POST", "/v1/runs", { spec: { exercise: "lora-warmup" } });
    const prefix = `cohorts/test-cohort/learners/lab-cleo/runs/${body.run.id}/`;
    const result: RunResult = {
      runId: body.run.id,
      status: "succeeded",
      metrics: { before: { rougeL: 0.2 }, after: { rougeL: 0.5 } },
      peakVramMiB: 3000,
      lossSeries: [{ step: 1, loss: 2 }],
      samples: [{ prompt: "Pod Pending?", reference: "Check taints.", before: "Hmm.", after: "Check the taints." }],
    };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}results.json`, Body: JSON.stringify(result) }));
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}adapter.tar.gz`, Body: Buffer.from("adapter-bytes") }),
    );
    startPod(f, body.run);
    finishPod(f, body.run, {
      exitCode: 0,
      summary: {
        runId: body.run.id,
        status: "succeeded",
        peakVramMiB: 3000,
        resultsUri: `s3://${BUCKET}/${prefix}results.json`,
      },
    });
    const done = await f.waitForRun(body.run.id, (r) => r.state === "succeeded");
    expect(done.samples).toEqual(result.samples);
    expect(done.metrics?.after?.rougeL).toBe(0.5);

    const links = await f.call("cleo", "GET", `/v1/runs/${body.run.id}/artifacts`);
    expect(links.status).toBe(200);
    expect(links.body.artifacts.map((a: { name: string }) => a.name).sort()).toEqual([
      "adapter.tar.gz",
      "results.json",
    ]);
    const adapter = links.body.artifacts.find((a: { name: string }) => a.name === "adapter.tar.gz");
    expect(adapter.url).toMatch(/X-Amz-Signature=/);
    expect(await (await fetch(adapter.url)).text()).toBe("adapter-bytes");
    expect((await f.call("ada", "GET", `/v1/runs/${body.run.id}/artifacts`)).status).toBe(404);
  });
});
