/**
 * The zod schemas of the instructor's view (cohort-routes.ts): the cohort overview and the
 * leaderboard. Fastify serialises the answers and writes the OpenAPI document from them.
 */
import { z } from "zod";
import { MetricValuesSchema } from "../../schema/run-result";

/** Answer of `GET /v1/cohort`. */
export const CohortViewSchema = z.object({
  cohort: z.object({ name: z.string(), title: z.string() }),
  learners: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      quota: z.object({
        vramMiB: z.number().describe("VRAM quota, MiB."),
        concurrentRuns: z.number().int(),
        gpuMinutes: z.number().describe("GPU-minutes the learner may use."),
      }),
      usage: z.object({
        gpuMinutesUsed: z.number(),
        runningRuns: z.number().int(),
        vramMiB: z.number().describe("VRAM granted to the learner's runs now, MiB."),
      }),
    }),
  ),
  gpus: z.array(
    z.object({
      node: z.string(),
      index: z.number().int(),
      product: z.string(),
      totalMiB: z.number(),
      usedMiB: z.number().describe("Memory granted to runs, MiB."),
      runs: z.array(z.string()),
    }),
  ),
  queue: z.array(
    z.object({
      runId: z.string(),
      learnerId: z.string(),
      position: z.number().int(),
      waitingSeconds: z.number(),
    }),
  ),
  budget: z.object({
    gpuMinutesUsed: z.number(),
    gpuMinutesBudget: z.number(),
    costUsdSoFar: z.number().describe("GPU time used, priced per GPU-hour of the first pool, USD."),
  }),
});

/** Answer of `GET /v1/leaderboard`: the best succeeded run per learner and exercise, best first. */
export const LeaderboardSchema = z.object({
  entries: z.array(
    z.object({
      learnerId: z.string(),
      runId: z.string(),
      exercise: z.string(),
      before: MetricValuesSchema.optional(),
      after: MetricValuesSchema.optional(),
      verified: z
        .literal(true)
        .describe(
          "The metrics are the ones the controller read from the run's results.json (else its termination message) when it succeeded; what the runner's events said is never ranked.",
        ),
    }),
  ),
});
