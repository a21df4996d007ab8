/**
 * Admission: a learner's partial RunSpec is resolved against the exercise's defaults and the
 * cohort's model catalog, an uploaded dataset is checked, the estimator predicts the peak VRAM,
 * and the scheduler's `refusalReason` refuses what can never run, with nearby configurations
 * that fit. What may run is stored `queued`; the scheduling rounds place it.
 */
import { randomBytes } from "node:crypto";
import { datasetObjectKey } from "../../charts/names";
import { largestSlotMiB, type QueuedRun, refusalReason } from "../../core/scheduler";
import { estimatePeakVram, UnknownModelError } from "../../core/vram/estimate-peak-vram";
import { type FitSuggestion, suggestFit } from "../../core/vram/suggest-fit";
import type { Cohort } from "../../schema/cohort";
import { type RunSpec, RunSpecError, resolveRunSpec } from "../../schema/run-spec";
import type { ArtifactStore } from "../artifacts/artifact-store";
import { checkDatasetUpload } from "../artifacts/dataset-upload";
import type { RunStore } from "../store/run-store";
import type { GpuSlots } from "./gpu-slots";
import type { Run, RunEstimate } from "./run";
import type { RunStateRecorder } from "./run-state-recorder";
import type { UsageAccounting } from "./usage-accounting";

/** Input the learner made a mistake in: the API answers 400 with `problems`. */
export class RunInputError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = "RunInputError";
  }
}

/** What a learner sends to `POST /v1/runs` and `POST /v1/estimate`. */
export interface SubmitRequest {
  /** Partial RunSpec; `exercise` picks the defaults (default: the cohort's first exercise). */
  readonly spec?: unknown;
  /** A JSONL dataset uploaded with the run. */
  readonly dataset?: { readonly name: string; readonly contentBase64: string };
}

/** The estimator's verdict on a spec, for `POST /v1/estimate` and refusals. */
export interface FitReport {
  readonly fits: boolean;
  readonly spec: RunSpec;
  readonly estimate: RunEstimate;
  /** The learner's VRAM quota, MiB. */
  readonly quotaMiB: number;
  /** The largest GPU slot the cohort has, MiB. */
  readonly largestSlotMiB: number;
  /** Why it does not fit (absent when it fits). */
  readonly reason?: string;
  /** Nearby configurations that fit, nearest first. */
  readonly suggestions: ReadonlyArray<{ change: string; spec: RunSpec; totalMiB: number }>;
}

/** The answer to a submission. */
export type SubmitResult =
  | { readonly decision: "admitted" | "queued"; readonly run: Run; readonly reason?: string }
  | { readonly decision: "refused"; readonly reason: string; readonly fit: FitReport };

/** Admission's answer: refused for good, or stored `queued` for the next scheduling round. */
export type AdmissionResult =
  | Extract<SubmitResult, { decision: "refused" }>
  | { readonly decision: "stored"; readonly runId: string; readonly fit: FitReport };

/** What admission depends on. */
export interface RunAdmissionDeps {
  readonly cohort: Cohort;
  readonly store: RunStore;
  readonly slots: GpuSlots;
  readonly usage: UsageAccounting;
  readonly states: RunStateRecorder;
  /** The artifact bucket; without it dataset uploads are refused. */
  readonly artifacts?: ArtifactStore;
  /** Bucket name for `s3://` URIs. */
  readonly bucket: string;
  /** Clock, ms since the epoch. */
  readonly now: () => number;
  /** Run id generator. */
  readonly newRunId: () => string;
}

/** Checks submissions and stores the ones that may run. */
export class RunAdmission {
  constructor(private readonly deps: RunAdmissionDeps) {}

  /** Resolve, estimate and check a spec without storing anything. */
  estimate(learnerId: string, request: SubmitRequest): FitReport {
    const spec = resolveSubmittedSpec(
      this.deps.cohort,
      request.spec,
      request.dataset ? { name: request.dataset.name } : undefined,
    );
    return this.fitReport(learnerId, spec);
  }

  /** Validate and estimate a submission; refuse it, or upload its dataset and store it `queued`. */
  async enqueue(learnerId: string, request: SubmitRequest): Promise<AdmissionResult> {
    const { cohort, store } = this.deps;
    let dataset: { name: string; uri: string; sha256: string } | undefined;
    let upload: { key: string; bytes: Buffer } | undefined;
    if (request.dataset) {
      if (!this.deps.artifacts)
        throw new RunInputError("dataset uploads need the artifact bucket, which this controller has not been given");
      let checked: ReturnType<typeof checkDatasetUpload>;
      try {
        checked = checkDatasetUpload(request.dataset.name, request.dataset.contentBase64);
      } catch (error) {
        throw new RunInputError((error as Error).message);
      }
      const key = datasetObjectKey(cohort.name, learnerId, checked.sha256);
      dataset = { name: request.dataset.name, uri: `s3://${this.deps.bucket}/${key}`, sha256: checked.sha256 };
      upload = { key, bytes: checked.bytes };
    }
    const spec = resolveSubmittedSpec(cohort, request.spec, dataset);
    const active = store.activeRuns();
    const fit = this.fitReport(learnerId, spec, active);
    const learner = this.deps.usage.learnerStates(active).find((l) => l.learnerId === learnerId);
    const probe: QueuedRun = {
      runId: "new",
      learnerId,
      requestMiB: fit.estimate.totalMiB,
      submittedAt: this.deps.now(),
      expectedMinutes: undefined,
    };
    const refusal = refusalReason(probe, learner, this.deps.slots.states(active));
    if (refusal) return { decision: "refused", reason: refusal, fit };
    if (upload) await this.deps.artifacts?.put(upload.key, upload.bytes, "application/x-ndjson");

    const id = this.deps.newRunId();
    const createdAt = new Date(this.deps.now()).toISOString();
    store.insertRun({ id, learnerId, spec, estimate: fit.estimate, state: "queued", createdAt });
    this.deps.states.record(id, "queued");
    return { decision: "stored", runId: id, fit };
  }

  private fitReport(
    learnerId: string,
    spec: RunSpec,
    active: readonly Run[] = this.deps.store.activeRuns(),
  ): FitReport {
    const { cohort, slots } = this.deps;
    const estimate = estimateOf(spec);
    const quotaMiB = Math.round(cohort.quotas.vramGiB * 1024);
    const gpus = slots.states(active);
    const largest = gpus.length > 0 ? largestSlotMiB(gpus) : slots.largestDeclaredSlotMiB();
    const learner = this.deps.usage.learnerStates(active).find((l) => l.learnerId === learnerId);
    const probe: QueuedRun = {
      runId: "estimate",
      learnerId,
      requestMiB: estimate.totalMiB,
      submittedAt: this.deps.now(),
    };
    const reason = refusalReason(probe, learner, gpus.length > 0 ? gpus : slots.declaredStates());
    const limit = Math.min(quotaMiB, largest);
    let suggestions: FitSuggestion[] = [];
    if (estimate.totalMiB > limit) suggestions = suggestFit(spec, limit).slice(0, 5);
    return {
      fits: reason === undefined,
      spec,
      estimate,
      quotaMiB,
      largestSlotMiB: largest,
      ...(reason ? { reason } : {}),
      suggestions: suggestions.map((s) => ({ change: s.change, spec: s.spec, totalMiB: s.estimate.totalMiB })),
    };
  }
}

/**
 * A learner's partial RunSpec resolved against its exercise's defaults (default: the cohort's
 * first exercise), with an uploaded dataset filled in; every problem is a RunInputError with its `spec.` path.
 */
export function resolveSubmittedSpec(
  cohort: Cohort,
  input: unknown,
  dataset?: { name: string; uri?: string; sha256?: string },
): RunSpec {
  const given = (input ?? {}) as Record<string, unknown>;
  if (typeof given !== "object" || Array.isArray(given))
    throw new RunInputError("`spec` must be a JSON object (a partial RunSpec)");
  const exerciseId = typeof given.exercise === "string" ? given.exercise : cohort.exercises[0].id;
  const exercise = cohort.exercises.find((e) => e.id === exerciseId);
  if (!exercise) {
    throw new RunInputError(
      `spec.exercise: unknown exercise \`${exerciseId}\`: use one of ${cohort.exercises.map((e) => e.id).join(", ")}`,
    );
  }
  const withDataset = dataset
    ? {
        ...given,
        dataset: {
          ...((given.dataset as Record<string, unknown> | undefined) ?? {}),
          source: "upload",
          name: dataset.name,
          ...(dataset.uri ? { uri: dataset.uri, sha256: dataset.sha256 } : {}),
        },
      }
    : given;
  let spec: RunSpec;
  try {
    spec = resolveRunSpec(withDataset, exercise.id, exercise.defaults);
  } catch (error) {
    if (error instanceof RunSpecError)
      throw new RunInputError(
        error.message,
        error.problems.map((p) => `spec.${p}`),
      );
    throw error;
  }
  if (!cohort.models.some((m) => m.id === spec.baseModel)) {
    throw new RunInputError(
      `spec.baseModel: \`${spec.baseModel}\` is not in this cohort's model catalog: use one of ${cohort.models.map((m) => m.id).join(", ")}`,
    );
  }
  if (spec.dataset.source === "upload" && !spec.dataset.uri && !dataset) {
    throw new RunInputError(
      "spec.dataset: source `upload` needs the file: send it as `dataset: { name, contentBase64 }`",
    );
  }
  return spec;
}

/** The estimator's answer for a spec, as stored with a run; an unknown model is the learner's mistake. */
export function estimateOf(spec: RunSpec): RunEstimate {
  try {
    const estimate = estimatePeakVram(spec);
    return { totalMiB: estimate.totalMiB, breakdown: estimate.breakdown };
  } catch (error) {
    if (error instanceof UnknownModelError) throw new RunInputError(`spec.baseModel: ${error.message}`);
    throw error;
  }
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A new run id: 12 characters of lower-case base 32 (60 random bits), valid in Job names. */
export function newRunId(): string {
  const bytes = randomBytes(12);
  let id = "";
  for (const b of bytes) id += BASE32[b & 31];
  // Start with a letter, so the id is never mistaken for a number in YAML or labels.
  return id[0] >= "a" && id[0] <= "z" ? id : `r${id.slice(1)}`;
}
