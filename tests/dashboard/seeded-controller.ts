/**
 * The real lab-controller for the browser tests: `createControllerServer` on 127.0.0.1 with a
 * SQLite store seeded with a class in progress (workshop/cohort.example.yaml: learners ada and
 * alan, instructor maria), the real `KubeCluster` against the fake Kubernetes API (two L40S GPU
 * nodes), and an in-memory artifact bucket.
 *
 * Seeded runs: ada has one running (placed on a GPU, with a runner token and three loss points)
 * and one succeeded (metrics, samples, artifacts); alan has one queued and one succeeded. The
 * lifecycle's reconcile loop is not started, so the seeded states stay as they are (there are
 * no Jobs in the fake cluster for it to find); runner events go through the real
 * `POST /v1/runs/:id/events` with the run's token.
 *
 * `stop()` drops every connection the way a crashed pod does; `start()` brings a new server up
 * on the same port over the same database file, as a restarted controller would.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { runArtifactPrefix } from "../../charts/names";
import type { ArtifactLink, ArtifactStore } from "../../lab-controller/artifacts/artifact-store";
import { KubeCluster } from "../../lab-controller/cluster/kube-cluster";
import { newRunId, RunLifecycle } from "../../lab-controller/runs/run-lifecycle";
import { createControllerServer } from "../../lab-controller/server/create-controller-server";
import { sha256Hex, TokenDirectory } from "../../lab-controller/server/token-directory";
import { RunStore } from "../../lab-controller/store/run-store";
import type { Cohort } from "../../schema/cohort";
import { loadCohort } from "../../schema/load-cohort";
import { FakeKubeApi } from "../harness/fake-kube-api";

const COHORT_FILE = path.resolve(import.meta.dirname, "../../workshop/cohort.example.yaml");
const BUCKET = "labkit-artifacts-test";

/** A running, seeded controller and the handles a test needs. */
export interface SeededController {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Plain-text tokens (the controller only knows their hashes). */
  readonly tokens: { readonly instructor: string; readonly ada: string; readonly alan: string };
  readonly runs: {
    readonly adaRunning: string;
    readonly adaSucceeded: string;
    readonly alanQueued: string;
    readonly alanSucceeded: string;
  };
  /** Post the next progress event of `runId` with `loss` as its runner would; returns its step. */
  sendProgress(runId: string, loss: number): Promise<number>;
  /** Drop every connection and stop serving (a crash). */
  stop(): Promise<void>;
  /** Serve again on the same port from the same database. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The artifact bucket, in memory: objects by key, links that name the key. */
class InMemoryArtifactStore implements ArtifactStore {
  readonly bucket = BUCKET;
  private readonly objects = new Map<string, Buffer>();

  async put(key: string, body: Buffer): Promise<void> {
    this.objects.set(key, body);
  }

  async links(prefix: string, expiresSeconds = 3600): Promise<ArtifactLink[]> {
    const expiresAt = new Date(Date.now() + expiresSeconds * 1000).toISOString();
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, body]) => ({
        name: key.slice(prefix.length),
        sizeBytes: body.length,
        url: `https://${BUCKET}.s3.amazonaws.com/${key}?X-Amz-Expires=${expiresSeconds}`,
        expiresAt,
      }));
  }

  async readText(key: string): Promise<string | undefined> {
    return this.objects.get(key)?.toString("utf8");
  }
}

function gpuNode(name: string) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        gpu: "on",
        "node.kubernetes.io/instance-type": "g6e.xlarge",
        "labkit.dev/gpu-pool": "l40s",
        "nvidia.com/gpu.product": "NVIDIA-L40S",
        "nvidia.com/gpu.memory": "46068",
        "nvidia.com/gpu.count": "1",
      },
    },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  };
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** Fill the store with the class described at the top of this file. */
function seedRuns(cohort: Cohort, store: RunStore, lifecycle: RunLifecycle, artifacts: InMemoryArtifactStore) {
  const runToken = randomBytes(24).toString("hex");
  const insert = (learnerId: string, exercise: string, createdMinutesAgo: number) => {
    const fit = lifecycle.estimate(learnerId, { spec: { exercise } });
    // An id as the controller makes them: the API refuses any other shape with 400.
    const id = newRunId();
    store.insertRun({
      id,
      learnerId,
      spec: fit.spec,
      estimate: fit.estimate,
      state: "queued",
      createdAt: minutesAgo(createdMinutesAgo),
    });
    return { id, estimate: fit.estimate };
  };
  const succeed = async (learnerId: string, run: { id: string; estimate: { totalMiB: number } }, quality: number) => {
    const artifactsUri = `s3://${BUCKET}/${runArtifactPrefix(cohort.name, learnerId, run.id)}`;
    store.updateRun(run.id, {
      state: "succeeded",
      grantedMiB: run.estimate.totalMiB,
      peakVramMiB: Math.round(run.estimate.totalMiB * 0.86),
      startedAt: minutesAgo(50),
      finishedAt: minutesAgo(38),
      attempts: 1,
      step: 120,
      totalSteps: 120,
      lastLoss: 0.74,
      artifactsUri,
      metrics: {
        before: { perplexity: 9.8, rougeL: 0.21, bleu: 7.4 },
        after: { perplexity: 4.1 + quality, rougeL: 0.42 - quality / 10, bleu: 19.5 - quality * 3 },
      },
      samples: [
        {
          prompt: "My pod is stuck in CrashLoopBackOff. What should I check first?",
          reference: "Read the previous container's logs with `kubectl logs --previous` and check the exit code.",
          before: "CrashLoopBackOff is a state in Kubernetes. Kubernetes is a container orchestrator.",
          after: "Run `kubectl logs <pod> --previous` to see why the last container exited, then check its exit code.",
        },
      ],
    });
    const prefix = runArtifactPrefix(cohort.name, learnerId, run.id);
    await artifacts.put(`${prefix}adapter.tar.gz`, randomBytes(48 * 1024));
    await artifacts.put(`${prefix}results.json`, Buffer.from(JSON.stringify({ runId: run.id, status: "succeeded" })));
  };

  return (async () => {
    const adaSucceeded = insert("ada", "lora-warmup", 90);
    await succeed("ada", adaSucceeded, 0);
    const alanSucceeded = insert("alan", "lora-warmup", 85);
    await succeed("alan", alanSucceeded, 0.6);

    const adaRunning = insert("ada", "qlora-challenge", 12);
    store.updateRun(adaRunning.id, {
      state: "running",
      grantedMiB: adaRunning.estimate.totalMiB,
      placement: { node: "ip-10-0-1-17.ec2.internal", gpuIndex: 0 },
      startedAt: minutesAgo(10),
      attempts: 1,
      runTokenSha256: sha256Hex(runToken),
    });
    const alanQueued = insert("alan", "qlora-stretch", 3);
    return {
      adaRunning: adaRunning.id,
      adaSucceeded: adaSucceeded.id,
      alanQueued: alanQueued.id,
      alanSucceeded: alanSucceeded.id,
      runToken,
    };
  })();
}

/** Open the store, explaining the one environment fault that stops every controller test. */
function openStore(databaseFile: string): RunStore {
  try {
    return RunStore.open(databaseFile);
  } catch (error) {
    const message = (error as Error).message;
    if (/NODE_MODULE_VERSION/.test(message)) {
      throw new Error(
        `better-sqlite3's native addon was built for another Node.js than this one (${process.version}): ${message.split("\n")[0]}. ` +
          "Rebuild it against this Node's headers (npm's `nodedir` must point at them), e.g. `npm rebuild better-sqlite3 --nodedir=<node " +
          `${process.versions.node} headers dir>\`.`,
      );
    }
    throw error;
  }
}

/** Start the seeded controller on a free loopback port. */
export async function startSeededController(): Promise<SeededController> {
  const dir = await mkdtemp(path.join(tmpdir(), "labkit-dashboard-"));
  const databaseFile = path.join(dir, "controller.sqlite");
  const cohort = loadCohort(COHORT_FILE);
  const tokens = {
    instructor: `instructor-${randomBytes(12).toString("hex")}`,
    ada: `ada-${randomBytes(12).toString("hex")}`,
    alan: `alan-${randomBytes(12).toString("hex")}`,
  };
  const tokenDirectory = new TokenDirectory({
    learners: [
      { id: "ada", name: "Ada Lovelace", tokenSha256: sha256Hex(tokens.ada) },
      { id: "alan", name: "Alan Turing", tokenSha256: sha256Hex(tokens.alan) },
    ],
    instructors: [{ id: "instructor-maria", name: "Maria Schmidt", tokenSha256: sha256Hex(tokens.instructor) }],
  });
  const kube = await FakeKubeApi.start();
  kube.seed(gpuNode("ip-10-0-1-17.ec2.internal"));
  kube.seed(gpuNode("ip-10-0-2-42.ec2.internal"));
  const artifacts = new InMemoryArtifactStore();

  let port = 0;
  let current: { app: FastifyInstance; store: RunStore; cluster: KubeCluster } | undefined;
  const boot = async () => {
    const store = openStore(databaseFile);
    const cluster = new KubeCluster(kube.kubeConfig(), cohort.name);
    const lifecycle = new RunLifecycle({
      cohort,
      store,
      cluster,
      artifacts,
      controllerUrl: "http://127.0.0.1",
      runnerImage: "labkit/runner:test",
    });
    await cluster.start(() => {});
    const app = await createControllerServer({ cohort, store, lifecycle, tokens: tokenDirectory });
    const address = await app.listen({ host: "127.0.0.1", port });
    port = Number(new URL(address).port);
    current = { app, store, cluster };
    return { store, lifecycle };
  };

  const first = await boot();
  const seeded = await seedRuns(cohort, first.store, first.lifecycle, artifacts);
  const { runToken, ...runs } = seeded;
  const url = `http://127.0.0.1:${port}`;
  let seq = 0;
  let step = 0;

  const controller: SeededController = {
    url,
    tokens,
    runs,
    async sendProgress(runId, loss) {
      seq += 1;
      step += 10;
      const response = await fetch(`${url}/v1/runs/${runId}/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${runToken}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "progress", seq, step, totalSteps: 240, loss, learningRate: 2e-4 }),
      });
      if (response.status !== 202) throw new Error(`runner event refused: ${response.status} ${await response.text()}`);
      return step;
    },
    async stop() {
      if (!current) return;
      const { app, store, cluster } = current;
      current = undefined;
      // A crashed pod: open streams are cut, not drained.
      app.server.closeAllConnections();
      await app.close();
      await cluster.stop();
      store.close();
    },
    async start() {
      await boot();
    },
    async close() {
      await controller.stop();
      await kube.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  // A running run with some history, so the chart has a curve before the test adds to it.
  for (const loss of [2.31, 1.87, 1.52]) await controller.sendProgress(runs.adaRunning, loss);
  return controller;
}
