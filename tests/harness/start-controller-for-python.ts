/**
 * The real lab-controller for the Python client's end-to-end test
 * (tests/python/test_client_against_controller.py): the controller test fixture
 * (tests/lab-controller/controller-fixture.ts: the fake Kubernetes API with two L40S GPU nodes, a
 * real SQLite store, the real cluster adapter, lifecycle and HTTP server) on 127.0.0.1, plus a
 * small "kubelet" control server that plays the parts of Kubernetes the fake API server does not
 * (reading a run's Job, starting its pod, ending it with a termination message).
 *
 * Run from the repository root: `node --import tsx tests/harness/start-controller-for-python.ts`.
 * With `LABKIT_S3_ENDPOINT` set (an S3-compatible server such as `.venv/bin/moto_server`), the
 * controller's artifact bucket `LABKIT_S3_BUCKET` (default `labkit-test-artifacts`) lives there
 * and is created if missing; without it, dataset uploads and artifact links are refused (503).
 *
 * Prints one JSON line on stdout, `{ url, controlUrl, kubeApiUrl, learnerTokens, instructorToken,
 * bucket, s3Endpoint }`, then serves until SIGTERM or SIGINT (or stdin closing).
 *
 * Control endpoints (JSON, no auth, loopback only):
 * - `GET  /job?runId=<id>`: the run's Job as stored in the fake API server, or 404.
 * - `GET  /run-token?runId=<id>`: `{ token }`, the run's token as its Secret holds it (what the
 *   kubelet resolves the Job's `secretKeyRef` to).
 * - `POST /start-pod {runId}`: the run's pod is created and running on the node its Job is pinned to.
 * - `POST /finish-pod {runId, exitCode, message?}`: the pod and the Job end; `message` is the
 *   runner's termination message (its JSON summary).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { S3ArtifactStore } from "../../lab-controller/artifacts/artifact-store";
import {
  type ControllerFixture,
  finishPod,
  jobOf,
  runTokenOf,
  startControllerFixture,
  startPod,
  TOKENS,
} from "../lab-controller/controller-fixture";

/** Credentials any S3-compatible test server accepts. */
const TEST_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };
/** Region of the test bucket. */
const TEST_REGION = "us-east-1";

/** The artifact store on `endpoint`, with its bucket created if missing; undefined without an endpoint. */
async function testArtifactStore(endpoint: string | undefined, bucket: string) {
  if (!endpoint) return undefined;
  const s3 = new S3Client({ endpoint, region: TEST_REGION, forcePathStyle: true, credentials: TEST_CREDENTIALS });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  s3.destroy();
  return new S3ArtifactStore(bucket, { endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** The kubelet control server's request handler. */
function controlHandler(fixture: ControllerFixture) {
  return async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    try {
      const body = request.method === "POST" ? await readJson(request) : {};
      const runId = String(url.searchParams.get("runId") ?? body.runId ?? "");
      const run = fixture.store.getRun(runId);
      if (!run) return send(response, 404, { error: `no run \`${runId}\` in the controller's store` });
      if (request.method === "GET" && url.pathname === "/job") {
        const job = jobOf(fixture, run);
        return job ? send(response, 200, job) : send(response, 404, { error: `run ${runId} has no Job` });
      }
      if (request.method === "GET" && url.pathname === "/run-token") {
        return send(response, 200, { token: runTokenOf(fixture, run) });
      }
      if (request.method === "POST" && url.pathname === "/start-pod") {
        return send(response, 200, startPod(fixture, run));
      }
      if (request.method === "POST" && url.pathname === "/finish-pod") {
        finishPod(fixture, run, {
          exitCode: Number(body.exitCode ?? 0),
          message: typeof body.message === "string" ? body.message : undefined,
        });
        return send(response, 200, { ok: true });
      }
      return send(response, 404, { error: `no such control endpoint: ${request.method} ${url.pathname}` });
    } catch (error) {
      return send(response, 500, { error: (error as Error).message });
    }
  };
}

async function main(): Promise<void> {
  const endpoint = process.env.LABKIT_S3_ENDPOINT || undefined;
  const bucket = process.env.LABKIT_S3_BUCKET || "labkit-test-artifacts";
  const fixture = await startControllerFixture({ artifacts: await testArtifactStore(endpoint, bucket) });
  const control = createServer((request, response) => void controlHandler(fixture)(request, response));
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const controlPort = (control.address() as AddressInfo).port;

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    control.closeAllConnections();
    control.close();
    await fixture.close();
    process.exit(0);
  };
  process.on("SIGTERM", close);
  process.on("SIGINT", close);
  // The test that started us may die without signalling: a closed stdin ends us too.
  process.stdin.on("end", close);
  process.stdin.resume();

  const { maria, ...learnerTokens } = TOKENS;
  process.stdout.write(
    `${JSON.stringify({
      url: fixture.url,
      controlUrl: `http://127.0.0.1:${controlPort}`,
      kubeApiUrl: fixture.api.url,
      learnerTokens,
      instructorToken: maria,
      bucket: endpoint ? bucket : undefined,
      s3Endpoint: endpoint,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(`start-controller-for-python: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
