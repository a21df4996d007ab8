/**
 * The instructor's view: `GET /v1/cohort` (learners, usage against quotas, GPU inventory, queue,
 * budget), `GET /v1/events` (state changes of every run, SSE), `GET /v1/leaderboard` (best run
 * per learner and exercise, by after-training metrics) and `/metrics` for Prometheus.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { findInstanceType } from "../../catalog/aws-instances";
import { poolNodeUsdPerHour } from "../../core/cost/cohort-cost";
import { freeMiB, grantableMiB } from "../../core/scheduler";
import type { MetricValues } from "../../schema/run-result";
import { CohortViewSchema, LeaderboardSchema } from "./cohort-route-schemas";
import { errorResponses } from "./error-body";
import { type HttpMetrics, renderPrometheus, type Sample } from "./http-metrics";
import { type ControllerServerDeps, requirePerson } from "./server-context";
import { openSseStream } from "./sse-stream";

/** Rank after-training metrics: higher ROUGE-L first, then higher BLEU, then lower perplexity. */
export function compareMetrics(a: MetricValues | undefined, b: MetricValues | undefined): number {
  const key = (m: MetricValues | undefined): number[] => [
    -(m?.rougeL ?? Number.NEGATIVE_INFINITY),
    -(m?.bleu ?? Number.NEGATIVE_INFINITY),
    m?.perplexity ?? Number.POSITIVE_INFINITY,
  ];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

/** Register the cohort routes on `app`. */
export function registerCohortRoutes(server: FastifyInstance, deps: ControllerServerDeps, http: HttpMetrics): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { lifecycle, cohort, store } = deps;

  const instructorOnly = (request: Parameters<typeof requirePerson>[0], reply: Parameters<typeof requirePerson>[1]) => {
    const p = requirePerson(request, reply);
    if (!p) return false;
    if (p.role !== "instructor") {
      reply.code(403).send({ error: "only instructors can see the whole cohort" });
      return false;
    }
    return true;
  };

  app.get(
    "/v1/cohort",
    {
      schema: {
        summary: "Instructors: learners, usage against quotas, GPUs, queue, budget.",
        tags: ["cohort"],
        response: { 200: CohortViewSchema, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      if (!instructorOnly(request, reply)) return reply;
      const learners = lifecycle.learnerStates();
      const gpus = lifecycle.gpuStates();
      const names = new Map(cohort.learners.map((l) => [l.id, l.name]));
      const gpuMinutesUsed = learners.reduce((sum, l) => sum + l.usage.gpuMinutesUsed, 0);
      // GPU time the runs used, priced per GPU-hour of the first pool (the cluster's fixed costs are in `labkit plan`).
      const pool = cohort.gpuPools[0];
      const usdPerGpuHour = poolNodeUsdPerHour(pool) / Math.max(1, findInstanceType(pool.instanceType)?.gpuCount ?? 1);
      const costUsdSoFar = (gpuMinutesUsed / 60) * usdPerGpuHour;
      return {
        cohort: { name: cohort.name, title: cohort.title ?? cohort.name },
        learners: learners.map((l) => ({
          id: l.learnerId,
          name: names.get(l.learnerId) ?? l.learnerId,
          quota: l.quota,
          usage: {
            gpuMinutesUsed: round2(l.usage.gpuMinutesUsed),
            runningRuns: l.usage.running,
            vramMiB: gpus
              .flatMap((g) => g.allocations)
              .filter((a) => a.learnerId === l.learnerId)
              .reduce((s, a) => s + a.grantedMiB, 0),
          },
        })),
        gpus: gpus.map((g) => ({
          node: g.node,
          index: g.index,
          product: g.product,
          totalMiB: g.totalMiB,
          usedMiB: grantableMiB(g) - freeMiB(g),
          runs: g.allocations.map((a) => a.runId),
        })),
        queue: lifecycle
          .queue()
          .map(({ runId, learnerId, position, waitingSeconds }) => ({ runId, learnerId, position, waitingSeconds })),
        budget: {
          gpuMinutesUsed: round2(gpuMinutesUsed),
          gpuMinutesBudget: cohort.quotas.gpuMinutes * cohort.learners.length,
          costUsdSoFar: round2(costUsdSoFar),
        },
      };
    },
  );

  app.get(
    "/v1/leaderboard",
    {
      schema: {
        summary:
          "Best run per learner and exercise, ranked by after-training metrics the controller read from the run's results.json (or termination message), never from its events.",
        tags: ["cohort"],
        response: { 200: LeaderboardSchema, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      if (!requirePerson(request, reply)) return reply;
      const best = new Map<
        string,
        {
          learnerId: string;
          runId: string;
          exercise: string;
          before?: MetricValues;
          after?: MetricValues;
          verified: true;
        }
      >();
      // A succeeded run's metrics are the verified ones: the job reconciler replaced whatever its
      // events said with results.json (or the termination message) when it finished.
      for (const run of store.listRuns({ states: ["succeeded"], limit: 100_000 })) {
        if (!run.metrics?.after) continue;
        const key = `${run.learnerId}/${run.exercise}`;
        const entry = {
          learnerId: run.learnerId,
          runId: run.id,
          exercise: run.exercise,
          before: run.metrics.before,
          after: run.metrics.after,
          verified: true as const,
        };
        const current = best.get(key);
        if (!current || compareMetrics(entry.after, current.after) < 0) best.set(key, entry);
      }
      const entries = [...best.values()].sort(
        (a, b) => compareMetrics(a.after, b.after) || a.learnerId.localeCompare(b.learnerId),
      );
      return { entries };
    },
  );

  app.get(
    "/v1/events",
    {
      config: { eventStream: true },
      schema: {
        summary: "Instructors: server-sent `state` events of every run.",
        operationId: "streamCohortEvents",
        tags: ["cohort"],
        response: {
          200: {
            description: "An event stream of `state` events, each a run as JSON.",
            content: { "text/event-stream": { schema: z.string() } },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request, reply) => {
      if (!instructorOnly(request, reply)) return reply;
      const stream = openSseStream(request, reply);
      const off = lifecycle.bus.onState((run) => stream.send({ event: "state", data: run }));
      stream.onClose(off);
    },
  );

  app.get("/metrics", { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const samples: Sample[] = [...http.samples()];
    for (const [state, n] of Object.entries(store.countByState())) {
      samples.push({ name: "labkit_runs", help: "Runs by state.", type: "gauge", labels: { state }, value: n });
    }
    samples.push({
      name: "labkit_queue_length",
      help: "Runs waiting for a GPU.",
      type: "gauge",
      value: lifecycle.queue().length,
    });
    for (const g of lifecycle.gpuStates()) {
      const labels = { node: g.node, gpu: g.index };
      samples.push({
        name: "labkit_gpu_memory_total_mib",
        help: "Memory of each GPU, MiB.",
        type: "gauge",
        labels,
        value: g.totalMiB,
      });
      samples.push({
        name: "labkit_gpu_memory_granted_mib",
        help: "Memory granted to runs on each GPU, MiB.",
        type: "gauge",
        labels,
        value: grantableMiB(g) - freeMiB(g),
      });
    }
    for (const l of lifecycle.learnerStates()) {
      samples.push({
        name: "labkit_learner_gpu_minutes_used",
        help: "GPU-minutes used per learner.",
        type: "gauge",
        labels: { learner: l.learnerId },
        value: l.usage.gpuMinutesUsed,
      });
    }
    for (const extra of deps.extraMetrics?.() ?? []) samples.push(extra);
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(renderPrometheus(samples));
  });
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
