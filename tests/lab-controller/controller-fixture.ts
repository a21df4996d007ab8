/**
 * A whole lab-controller on loopback for integration tests: the fake Kubernetes API server with
 * GPU nodes and learner namespaces, a real SQLite store in a temp directory, the real cluster
 * adapter, lifecycle and HTTP server. `kubelet` helpers play the parts of Kubernetes the fake
 * server does not (the Job controller and the kubelet): start a run's pod, finish it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { LABELS, learnerNamespace, runJobName } from "../../charts/names";
import { RUN_TOKEN_SECRET_KEY, RUNNER_CONTAINER, runTokenSecretName } from "../../charts/runner-job";
import type { ArtifactStore } from "../../lab-controller/artifacts/artifact-store";
import { KubeCluster } from "../../lab-controller/cluster/kube-cluster";
import type { Run } from "../../lab-controller/runs/run";
import { RunLifecycle } from "../../lab-controller/runs/run-lifecycle";
import { createControllerServer } from "../../lab-controller/server/create-controller-server";
import type { RequestLimits } from "../../lab-controller/server/request-limits";
import { sha256Hex, TokenDirectory } from "../../lab-controller/server/token-directory";
import { RunStore } from "../../lab-controller/store/run-store";
import type { Cohort } from "../../schema/cohort";
import { parseCohort } from "../../schema/load-cohort";
import type { RunSummary } from "../../schema/run-result";
import { FakeKubeApi, type KubeObject } from "../harness/fake-kube-api";

/** A small cohort: three learners, one instructor, two g6e.xlarge (L40S) nodes shared with HAMi. */
export function testCohortYaml(
  overrides: { gpuNodes?: number; gpuMinutes?: number; concurrentRuns?: number; sharing?: string } = {},
): string {
  return `
name: test-cohort
title: Test cohort
# Loopback tests without DNS: plain HTTP, one origin.
insecure: true
schedule: { start: "2026-12-07T09:00", end: "2026-12-08T17:00", timeZone: Europe/Berlin }
cloud: { region: eu-central-1 }
gpuPools:
  - { name: l40s, instanceType: g6e.xlarge, count: ${overrides.gpuNodes ?? 2}, sharing: ${overrides.sharing ?? "hami"} }
quotas: { vramGiB: 16, concurrentRuns: ${overrides.concurrentRuns ?? 1}, gpuMinutes: ${overrides.gpuMinutes ?? 120} }
models:
  - id: HuggingFaceTB/SmolLM2-360M-Instruct
  - id: Qwen/Qwen2.5-1.5B-Instruct
  - id: Qwen/Qwen2.5-3B-Instruct
exercises:
  - id: lora-warmup
    title: Warm-up
    expectedMinutes: 6
    defaults:
      baseModel: HuggingFaceTB/SmolLM2-360M-Instruct
      method: lora
      lora: { r: 8, alpha: 16 }
      training: { maxSeqLength: 512, microBatchSize: 8, gradientAccumulationSteps: 2, epochs: 2 }
      dataset: { source: builtin, name: k8s-troubleshooting }
  - id: qlora-challenge
    title: QLoRA challenge
    expectedMinutes: 15
    defaults:
      baseModel: Qwen/Qwen2.5-1.5B-Instruct
      method: qlora
      training: { maxSeqLength: 1024, microBatchSize: 4, gradientAccumulationSteps: 4, epochs: 3 }
      dataset: { source: builtin, name: k8s-troubleshooting }
learners:
  - { id: ada, name: Ada Lovelace }
  - { id: bob, name: Bob Builder }
  - { id: cleo, name: Cleo Patra }
instructors:
  - { id: maria, name: Maria Schmidt }
`;
}

/** Plain-text tokens of the test cohort (the controller gets only their hashes). */
export const TOKENS = {
  ada: "tok-ada-0123456789",
  bob: "tok-bob-0123456789",
  cleo: "tok-cleo-0123456789",
  maria: "tok-maria-0123456789",
} as const;

/** A GPU node as EKS + GPU Feature Discovery label it. */
export function gpuNode(name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        gpu: "on",
        "node.kubernetes.io/instance-type": "g6e.xlarge",
        "nvidia.com/gpu.product": "NVIDIA-L40S",
        "nvidia.com/gpu.memory": "46068",
        "nvidia.com/gpu.count": "1",
        "labkit.dev/gpu-pool": "l40s",
      },
    },
    status: {
      allocatable: { "nvidia.com/gpu": "10", cpu: "4", memory: "32Gi" },
      conditions: [{ type: "Ready", status: "True" }],
    },
  };
}

/** A running controller and the fake cluster under it. */
export interface ControllerFixture {
  readonly api: FakeKubeApi;
  readonly cohort: Cohort;
  store: RunStore;
  lifecycle: RunLifecycle;
  cluster: KubeCluster;
  app: FastifyInstance;
  /** Base URL of the HTTP API. */
  url: string;
  readonly dbPath: string;
  /** HTTP call with a learner's or instructor's token. */
  call(
    who: keyof typeof TOKENS | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
  /** Stop the controller (as a crash would: no cleanup beyond closing sockets), keeping the fake cluster and the database file. */
  stopController(): Promise<void>;
  /** Start a new controller process on the same database and cluster. */
  startController(): Promise<void>;
  /** Wait until a run satisfies a condition (polling the store). */
  waitForRun(runId: string, check: (run: Run) => boolean, timeoutMs?: number): Promise<Run>;
  /** Everything: controller, fake API server, temp directory. */
  close(): Promise<void>;
}

/** Start the fake cluster and a controller on it. */
export async function startControllerFixture(
  options: {
    gpuNodes?: number;
    gpuMinutes?: number;
    concurrentRuns?: number;
    artifacts?: ArtifactStore;
    limits?: RequestLimits;
  } = {},
): Promise<ControllerFixture> {
  const api = await FakeKubeApi.start();
  const cohort = parseCohort(testCohortYaml(options), "cohort.yaml");
  for (const person of cohort.learners) {
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: learnerNamespace(person.id) } });
  }
  for (let i = 0; i < (options.gpuNodes ?? 2); i++) api.seed(gpuNode(`gpu-node-${i + 1}`));
  const dir = mkdtempSync(join(tmpdir(), "labkit-controller-"));
  const dbPath = join(dir, "controller.db");
  const tokens = new TokenDirectory({
    learners: cohort.learners.map((l) => ({
      id: l.id,
      name: l.name,
      tokenSha256: sha256Hex(TOKENS[l.id as keyof typeof TOKENS]),
    })),
    instructors: [{ id: "maria", name: "Maria Schmidt", tokenSha256: sha256Hex(TOKENS.maria) }],
  });

  const fixture = {
    api,
    cohort,
    dbPath,
  } as unknown as ControllerFixture & { tokens: TokenDirectory };

  fixture.startController = async () => {
    fixture.store = RunStore.open(dbPath);
    fixture.cluster = new KubeCluster(api.kubeConfig(), cohort.name, 50);
    fixture.lifecycle = new RunLifecycle({
      cohort,
      store: fixture.store,
      cluster: fixture.cluster,
      controllerUrl: "http://lab-controller.labkit-system.svc.cluster.local:8080",
      runnerImage: "ghcr.io/labkit-dev/runner:0.1.0",
      bucket: options.artifacts?.bucket ?? "labkit-test-artifacts",
      artifacts: options.artifacts,
      log: () => {},
    });
    await fixture.lifecycle.start(200);
    fixture.app = await createControllerServer({
      cohort,
      store: fixture.store,
      lifecycle: fixture.lifecycle,
      tokens,
      dashboard: false,
      ready: () => fixture.cluster.synced,
      limits: options.limits,
    });
    fixture.url = await fixture.app.listen({ host: "127.0.0.1", port: 0 });
  };
  fixture.stopController = async () => {
    await fixture.lifecycle.stop();
    await fixture.app.close();
    fixture.store.close();
  };
  fixture.call = async (who, method, path, body, headers = {}) => {
    const response = await fetch(`${fixture.url}${path}`, {
      method,
      headers: {
        ...(who ? { authorization: `Bearer ${TOKENS[who]}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics)
    }
    return { status: response.status, body: parsed };
  };
  fixture.waitForRun = async (runId, check, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = fixture.store.getRun(runId);
      if (run && check(run)) return run;
      if (Date.now() > deadline)
        throw new Error(`run ${runId} did not reach the expected state; it is ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  fixture.close = async () => {
    await fixture.stopController().catch(() => {});
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  };
  await fixture.startController();
  return fixture;
}

/** The Job of a run, from the fake API server. */
export function jobOf(fixture: ControllerFixture, run: Pick<Run, "id" | "learnerId">): KubeObject | undefined {
  return fixture.api.get("Job", learnerNamespace(run.learnerId), runJobName(run.id));
}

/** A run's runner token as its Secret holds it: what the kubelet hands the runner as `LABKIT_RUN_TOKEN`. */
export function runTokenOf(fixture: ControllerFixture, run: Pick<Run, "id" | "learnerId">): string {
  const secret = fixture.api.get("Secret", learnerNamespace(run.learnerId), runTokenSecretName(run.id));
  const encoded = (secret?.data as Record<string, string> | undefined)?.[RUN_TOKEN_SECRET_KEY];
  if (!encoded) throw new Error(`no token Secret for run ${run.id}`);
  return Buffer.from(encoded, "base64").toString("utf8");
}

/** Play the kubelet: the run's pod starts running on the node the Job is pinned to. */
export function startPod(fixture: ControllerFixture, run: Pick<Run, "id" | "learnerId">): KubeObject {
  const job = jobOf(fixture, run);
  if (!job) throw new Error(`no Job for run ${run.id}`);
  const spec = job.spec as { template: { metadata: { labels: Record<string, string> }; spec: any } };
  const node =
    spec.template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]
      ?.matchExpressions?.[0]?.values?.[0] ?? "gpu-node-1";
  return fixture.api.seed({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${job.metadata.name}-abcde`,
      namespace: job.metadata.namespace,
      labels: { ...spec.template.metadata.labels, "batch.kubernetes.io/job-name": job.metadata.name ?? "" },
      ownerReferences: [
        {
          apiVersion: "batch/v1",
          kind: "Job",
          name: job.metadata.name ?? "",
          uid: job.metadata.uid ?? "",
          controller: true,
        },
      ],
    },
    spec: { ...spec.template.spec, nodeName: node },
    status: {
      phase: "Running",
      startTime: new Date().toISOString(),
      containerStatuses: [
        {
          name: RUNNER_CONTAINER,
          ready: true,
          restartCount: 0,
          image: "runner",
          imageID: "",
          state: { running: { startedAt: new Date().toISOString() } },
        },
      ],
    },
  });
}

/** Play the kubelet and the Job controller: the runner exits with a termination message. */
export function finishPod(
  fixture: ControllerFixture,
  run: Pick<Run, "id" | "learnerId">,
  outcome: { exitCode: number; message?: string; reason?: string; summary?: RunSummary },
): void {
  const ns = learnerNamespace(run.learnerId);
  const name = runJobName(run.id);
  const pod = fixture.api.list("Pod", ns, `${LABELS.runId}=${run.id}`)[0];
  if (!pod) throw new Error(`no pod for run ${run.id}`);
  const message = outcome.summary ? JSON.stringify(outcome.summary) : outcome.message;
  const now = new Date().toISOString();
  fixture.api.put({
    ...pod,
    status: {
      phase: outcome.exitCode === 0 ? "Succeeded" : "Failed",
      containerStatuses: [
        {
          name: RUNNER_CONTAINER,
          ready: false,
          restartCount: 0,
          image: "runner",
          imageID: "",
          state: {
            terminated: {
              exitCode: outcome.exitCode,
              reason: outcome.reason ?? (outcome.exitCode === 0 ? "Completed" : "Error"),
              message,
              finishedAt: now,
            },
          },
        },
      ],
    },
  });
  const job = fixture.api.get("Job", ns, name);
  if (!job) return;
  fixture.api.put({
    ...job,
    status: {
      ...(outcome.exitCode === 0 ? { succeeded: 1, completionTime: now } : { failed: 1 }),
      conditions: [
        outcome.exitCode === 0
          ? { type: "Complete", status: "True", lastTransitionTime: now }
          : { type: "Failed", status: "True", reason: "BackoffLimitExceeded", lastTransitionTime: now },
      ],
    },
  });
}

/**
 * A second controller app on the fixture's cohort and lifecycle, with its own in-memory store and
 * only ada's token, configured as one behind the load balancer's TLS (`publicTls`) would be.
 * Not listening: call `listen` or `inject`. Close the app, then `store`.
 */
export async function createTlsControllerApp(
  f: ControllerFixture,
  publicOrigins: readonly string[],
): Promise<{ app: FastifyInstance; store: RunStore }> {
  const store = RunStore.open(":memory:");
  const app = await createControllerServer({
    cohort: f.cohort,
    store,
    lifecycle: f.lifecycle,
    tokens: new TokenDirectory({
      learners: [{ id: "ada", name: "Ada", tokenSha256: sha256Hex(TOKENS.ada) }],
      instructors: [],
    }),
    dashboard: false,
    publicTls: true,
    publicOrigins,
  });
  return { app, store };
}
