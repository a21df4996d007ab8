/**
 * What a runner reports: the full `RunResult` (written to `results.json` next to the adapter in
 * the artifact bucket), its short summary (the pod's termination message, at most 4 KiB), and
 * the events it posts to the lab-controller while it runs.
 */
import { z } from "zod";

/** Kubernetes keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;

export const MetricValuesSchema = z
  .object({
    /** exp(mean token cross-entropy) on the held-out split, at least 1 (cross-entropy is never negative); lower is better. */
    perplexity: z.number().min(1).optional(),
    /** ROUGE-L F-measure of generated answers against references, 0..1; higher is better. */
    rougeL: z.number().min(0).max(1).optional(),
    /** Corpus BLEU (sacrebleu), 0..100; higher is better. */
    bleu: z.number().min(0).max(100).optional(),
  })
  .strict();
export type MetricValues = z.infer<typeof MetricValuesSchema>;

export const LossPointSchema = z
  .object({
    step: z.number().int().nonnegative(),
    /** Training cross-entropy, never negative. */
    loss: z.number().nonnegative(),
    learningRate: z.number().nonnegative().optional(),
  })
  .strict();
export type LossPoint = z.infer<typeof LossPointSchema>;

export const AdapterSchema = z
  .object({
    /** The adapter archive (`adapter.tar.gz`: adapter_model.safetensors + adapter_config.json), e.g. `s3://bucket/cohorts/c/learners/lab-l/runs/r/adapter.tar.gz`. */
    uri: z.string().min(1),
    /** sha256 of the adapter archive (`adapter.tar.gz`). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    sizeBytes: z.number().int().nonnegative(),
  })
  .strict();

export const SampleSchema = z
  .object({
    prompt: z.string(),
    reference: z.string(),
    before: z.string(),
    after: z.string(),
  })
  .strict();

export const RUN_STATUSES = ["succeeded", "failed"] as const;

export const RunResultSchema = z
  .object({
    runId: z.string().min(1),
    status: z.enum(RUN_STATUSES),
    /** Why a failed run failed, in words a learner can act on. */
    reason: z.string().optional(),
    /** Machine-readable failure kind; `oom` is a run that exceeded its VRAM grant. */
    failureKind: z.enum(["oom", "dataset", "config", "internal"]).optional(),
    metrics: z.object({ before: MetricValuesSchema, after: MetricValuesSchema }).strict(),
    /** Highest `torch.cuda.max_memory_reserved()` seen, MiB (0 on a CPU). */
    peakVramMiB: z.number().nonnegative(),
    /** VRAM the run was granted, MiB. */
    grantedVramMiB: z.number().nonnegative().optional(),
    lossSeries: z.array(LossPointSchema),
    adapter: AdapterSchema.optional(),
    samples: z.array(SampleSchema),
    trainSeconds: z.number().nonnegative().optional(),
    totalSeconds: z.number().nonnegative().optional(),
    trainExamples: z.number().int().nonnegative().optional(),
    evalExamples: z.number().int().nonnegative().optional(),
  })
  .strict();
export type RunResult = z.infer<typeof RunResultSchema>;

/** The termination-message summary: enough for the controller to finish a run without S3. */
export const RunSummarySchema = z
  .object({
    runId: z.string(),
    status: z.enum(RUN_STATUSES),
    reason: z.string().optional(),
    failureKind: z.enum(["oom", "dataset", "config", "internal"]).optional(),
    peakVramMiB: z.number().nonnegative(),
    after: MetricValuesSchema.optional(),
    before: MetricValuesSchema.optional(),
    adapterUri: z.string().optional(),
    adapterSha256: z.string().optional(),
    resultsUri: z.string().optional(),
    finalLoss: z.number().optional(),
  })
  .strict();
export type RunSummary = z.infer<typeof RunSummarySchema>;

export const RUN_PHASES = [
  "starting",
  "loading-model",
  "evaluating-before",
  "training",
  "evaluating-after",
  "uploading",
  "succeeded",
  "failed",
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/**
 * Bounds of a runner event's numbers, beyond which no real run reports (zod numbers are already
 * finite: NaN and Infinity are refused). What depends on the run (steps that go back, memory past
 * the run's GPU) is checked by the controller with the run at hand (lab-controller/runs/).
 */
export const RUNNER_EVENT_LIMITS = {
  /** Most training steps one run can have. */
  maxSteps: 10_000_000,
  /** Largest training loss (cross-entropy, nats) a runner reports; a uniform guess over a 1M-token vocabulary is about 14. */
  maxLoss: 1_000,
  /** Largest learning rate. */
  maxLearningRate: 10,
  /** Largest epoch count. */
  maxEpoch: 10_000,
  /** Largest memory figure, MiB (1 TiB: more than any GPU). */
  maxMemoryMiB: 1_048_576,
  /** Longest `time` text (an ISO 8601 timestamp is 24 characters). */
  maxTimeChars: 64,
} as const;

const eventSeq = z.number().int().nonnegative();
const eventTime = z.string().max(RUNNER_EVENT_LIMITS.maxTimeChars).optional();
const eventSteps = z.number().int().nonnegative().max(RUNNER_EVENT_LIMITS.maxSteps);
const eventMemoryMiB = z.number().nonnegative().max(RUNNER_EVENT_LIMITS.maxMemoryMiB);

/**
 * One event from a runner. `seq` increases by one per event from the same run, so the
 * controller can ignore duplicates and tolerate gaps (any event may be lost).
 */
export const RunnerEventSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("phase"),
      seq: eventSeq,
      time: eventTime,
      phase: z.enum(RUN_PHASES),
      message: z.string().max(2000).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("progress"),
      seq: eventSeq,
      time: eventTime,
      step: eventSteps,
      totalSteps: eventSteps.optional(),
      loss: z.number().nonnegative().max(RUNNER_EVENT_LIMITS.maxLoss).optional(),
      learningRate: z.number().nonnegative().max(RUNNER_EVENT_LIMITS.maxLearningRate).optional(),
      epoch: z.number().nonnegative().max(RUNNER_EVENT_LIMITS.maxEpoch).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("memory"),
      seq: eventSeq,
      time: eventTime,
      allocatedMiB: eventMemoryMiB,
      reservedMiB: eventMemoryMiB,
      peakMiB: eventMemoryMiB,
    })
    .strict(),
  z
    .object({
      type: z.literal("metrics"),
      seq: eventSeq,
      time: eventTime,
      stage: z.enum(["before", "after"]),
      values: MetricValuesSchema,
    })
    .strict(),
]);
export type RunnerEvent = z.infer<typeof RunnerEventSchema>;
