/**
 * API throughput and latency of the lab-controller with 200 learners on loopback.
 *
 * The controller runs in a child process (this file with `--serve`), on a real SQLite file and
 * the fake Kubernetes API server with 50 GPU nodes, exactly as the integration tests run it. The
 * parent plays 200 learners at once; each does a bounded loop: submit a run, then poll it, list
 * its runs, read the loss history, and every fifth round ask for an estimate. Every request is
 * timed. The baseline, measured in the same run with the same concurrency, is `GET /healthz`
 * (Fastify plus loopback HTTP, no controller work), so the ratio says what the controller's own
 * work (auth, SQLite, scheduling) costs on top of the framework.
 *
 *   node --import tsx bench/api.bench.ts            (about 30 s)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "../lib/run-process";

const LEARNERS = Number(process.env.LABKIT_BENCH_LEARNERS ?? 200);
const GPU_NODES = 50;
/** Rounds per learner per repetition: one submit and four reads per round. */
const ROUNDS = 5;
const REPETITIONS = 3;

const token = (i: number) => `bench-token-learner-${i}`;
const learnerId = (i: number) => `learner-${String(i).padStart(3, "0")}`;

function cohortYaml(): string {
  const learners = Array.from({ length: LEARNERS }, (_, i) => `  - { id: ${learnerId(i)}, name: Learner ${i} }`).join(
    "\n",
  );
  return `
name: bench
schedule: { start: "2026-12-07T09:00", end: "2026-12-08T17:00", timeZone: Europe/Berlin }
cloud: { region: eu-central-1 }
gpuPools:
  - { name: l40s, instanceType: g6e.xlarge, count: ${GPU_NODES}, sharing: hami }
quotas: { vramGiB: 16, concurrentRuns: 1, gpuMinutes: 100000 }
models:
  - id: HuggingFaceTB/SmolLM2-360M-Instruct
exercises:
  - id: lora-warmup
    title: Warm-up
    defaults:
      baseModel: HuggingFaceTB/SmolLM2-360M-Instruct
      method: lora
      training: { maxSeqLength: 512, microBatchSize: 8 }
      dataset: { source: builtin, name: k8s-troubleshooting }
learners:
${learners}
instructors:
  - { id: teacher, name: Teacher }
`;
}

/** Child: serve a controller on loopback and print its URL. */
async function serve(): Promise<void> {
  const { FakeKubeApi } = await import("../tests/harness/fake-kube-api");
  const { parseCohort } = await import("../schema/load-cohort");
  const { RunStore } = await import("../lab-controller/store/run-store");
  const { KubeCluster } = await import("../lab-controller/cluster/kube-cluster");
  const { RunLifecycle } = await import("../lab-controller/runs/run-lifecycle");
  const { createControllerServer } = await import("../lab-controller/server/create-controller-server");
  const { TokenDirectory, sha256Hex } = await import("../lab-controller/server/token-directory");
  const { learnerNamespace } = await import("../charts/names");

  const api = await FakeKubeApi.start();
  const cohort = parseCohort(cohortYaml(), "bench-cohort.yaml");
  for (const l of cohort.learners)
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: learnerNamespace(l.id) } });
  for (let n = 0; n < GPU_NODES; n++) {
    api.seed({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: `gpu-${n}`,
        labels: { gpu: "on", "node.kubernetes.io/instance-type": "g6e.xlarge", "nvidia.com/gpu.memory": "46068" },
      },
      status: { conditions: [{ type: "Ready", status: "True" }] },
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "labkit-bench-"));
  const store = RunStore.open(join(dir, "controller.db"));
  const cluster = new KubeCluster(api.kubeConfig(), cohort.name);
  const lifecycle = new RunLifecycle({
    cohort,
    store,
    cluster,
    controllerUrl: "http://controller",
    runnerImage: "runner:bench",
    bucket: "bench",
    log: () => {},
  });
  await lifecycle.start(1000);
  const tokens = new TokenDirectory({
    learners: cohort.learners.map((l, i) => ({ id: l.id, name: l.name, tokenSha256: sha256Hex(token(i)) })),
    instructors: [],
  });
  const app = await createControllerServer({ cohort, store, lifecycle, tokens, dashboard: false });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  process.stdout.write(`${url}\n`);
  process.on("SIGTERM", async () => {
    await app.close();
    await lifecycle.stop();
    store.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

interface Timing {
  readonly endpoint: string;
  readonly ms: number;
  readonly status: number;
}

async function timed(endpoint: string, url: string, init: RequestInit, out: Timing[]): Promise<unknown> {
  const start = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  out.push({ endpoint, ms: performance.now() - start, status: response.status });
  return body ? JSON.parse(body) : undefined;
}

/** One repetition: every learner's bounded loop, all at once. Returns timings and wall time. */
async function learnersRound(base: string, rep: number): Promise<{ timings: Timing[]; wallMs: number }> {
  const timings: Timing[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: LEARNERS }, async (_, i) => {
      const headers = { authorization: `Bearer ${token(i)}` };
      const post = { ...headers, "content-type": "application/json" };
      for (let round = 0; round < ROUNDS; round++) {
        const spec = { exercise: "lora-warmup", training: { seed: rep * 1000 + round } };
        const submitted = (await timed(
          "POST /v1/runs",
          `${base}/v1/runs`,
          { method: "POST", headers: post, body: JSON.stringify({ spec }) },
          timings,
        )) as {
          run?: { id: string };
        };
        const id = submitted.run?.id;
        if (id) {
          await timed("GET /v1/runs/:id", `${base}/v1/runs/${id}`, { headers }, timings);
          await timed("GET /v1/runs/:id/loss", `${base}/v1/runs/${id}/loss`, { headers }, timings);
        }
        await timed("GET /v1/runs", `${base}/v1/runs`, { headers }, timings);
        if (round % 5 === 0)
          await timed(
            "POST /v1/estimate",
            `${base}/v1/estimate`,
            { method: "POST", headers: post, body: JSON.stringify({ spec }) },
            timings,
          );
        // Cancel, so the learner's concurrency limit lets the next round's run start.
        if (id) await timed("DELETE /v1/runs/:id", `${base}/v1/runs/${id}`, { method: "DELETE", headers }, timings);
      }
    }),
  );
  return { timings, wallMs: performance.now() - start };
}

/** The baseline: the same number of requests per learner, all `GET /healthz`. */
async function baselineRound(base: string, requestsPerLearner: number): Promise<{ timings: Timing[]; wallMs: number }> {
  const timings: Timing[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: LEARNERS }, async () => {
      for (let r = 0; r < requestsPerLearner; r++) await timed("GET /healthz", `${base}/healthz`, {}, timings);
    }),
  );
  return { timings, wallMs: performance.now() - start };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const child = startProcess(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--serve"], {
    captureStdout: true,
  });
  // The serving side prints its base URL as its first line.
  const base = (await child.waitFor(/^http:\/\/\S+/m, 60_000))[0];
  try {
    const perEndpoint = new Map<string, { p50: number[]; p99: number[] }>();
    const throughput: number[] = [];
    const baselineThroughput: number[] = [];
    const baselineP99: number[] = [];
    let errors = 0;
    let requestsPerRep = 0;
    // A warm-up round (JIT, SQLite page cache) that is not counted.
    await learnersRound(base, 99);
    for (let rep = 0; rep < REPETITIONS; rep++) {
      const { timings, wallMs } = await learnersRound(base, rep);
      requestsPerRep = timings.length;
      errors += timings.filter((t) => t.status >= 500).length;
      throughput.push(timings.length / (wallMs / 1000));
      const all = timings.map((t) => t.ms).sort((a, b) => a - b);
      for (const endpoint of ["all", ...new Set(timings.map((t) => t.endpoint))]) {
        const ms =
          endpoint === "all"
            ? all
            : timings
                .filter((t) => t.endpoint === endpoint)
                .map((t) => t.ms)
                .sort((a, b) => a - b);
        const entry = perEndpoint.get(endpoint) ?? { p50: [], p99: [] };
        entry.p50.push(percentile(ms, 50));
        entry.p99.push(percentile(ms, 99));
        perEndpoint.set(endpoint, entry);
      }
      const baseline = await baselineRound(base, Math.round(timings.length / LEARNERS));
      baselineThroughput.push(baseline.timings.length / (baseline.wallMs / 1000));
      baselineP99.push(
        percentile(
          baseline.timings.map((t) => t.ms).sort((a, b) => a - b),
          99,
        ),
      );
    }
    console.log(
      `lab-controller API, ${LEARNERS} concurrent learners on loopback, ${GPU_NODES} GPU nodes, ${REPETITIONS} repetitions of ${requestsPerRep} requests (medians)`,
    );
    console.log("endpoint                 p50 ms   p99 ms");
    for (const [endpoint, e] of perEndpoint) {
      console.log(
        `${endpoint.padEnd(24)} ${median(e.p50).toFixed(1).padStart(7)} ${median(e.p99).toFixed(1).padStart(8)}`,
      );
    }
    const t = median(throughput);
    const b = median(baselineThroughput);
    console.log(
      `throughput: ${t.toFixed(0)} requests/s (baseline GET /healthz at the same concurrency: ${b.toFixed(0)} requests/s, ratio ${(t / b).toFixed(2)})`,
    );
    console.log(
      `p99 latency, all endpoints: ${median(perEndpoint.get("all")?.p99 ?? []).toFixed(1)} ms (baseline ${median(baselineP99).toFixed(1)} ms, ratio ${(median(perEndpoint.get("all")?.p99 ?? []) / median(baselineP99)).toFixed(2)})`,
    );
    console.log(`5xx answers: ${errors}`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const states = metrics
      .split("\n")
      .filter((l) => l.startsWith("labkit_runs{") || l.startsWith("labkit_queue_length"));
    console.log(`runs at the end: ${states.join(", ")}`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    await child.stop();
  }
}

if (process.argv.includes("--serve")) await serve();
else await main();
