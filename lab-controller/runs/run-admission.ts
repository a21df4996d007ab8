/**
 * Admission: a learner's partial RunSpec is resolved against the exercise's defaults and the
 * cohort's model catalog, a dataset named by upload id is looked up among that learner's own
 * uploads (its uri and sha256 come from the controller's record, never from the request), a
 * dataset sent inline is checked and becomes an upload, the estimator predicts the peak VRAM,
 * and the scheduler's `refusalReason` refuses what can never run, with nearby configurations
 * that fit. What may run is stored `queued`; the scheduling rounds place it.
 */
import { randomBytes } from "node:crypto";
import { largestSlotMiB, type QueuedRun, refusalReason } from "../../core/scheduler";
import { estimatePeakVram, UnknownModelError } from "../../core/vram/estimate-peak-vram";
import { type FitSuggestion, suggestFit } from "../../core/vram/suggest-fit";
import type { Cohort } from "../../schema/cohort";
import { type RunSpec, RunSpecError, resolveRunSpec, type UploadRecord } from "../../schema/run-spec";
import { type DatasetLibrary, DatasetUploadError } from "../artifacts/dataset-library";
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
  /** A JSONL dataset sent with the run: it becomes one of the learner's uploads, and the spec names it. */
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
  /** The learners' uploads: where a spec's upload id is resolved and an inline dataset is stored. */
  readonly datasets: DatasetLibrary;
  /** Clock, ms since the epoch. */
  readonly now: () => number;
  /** Run id generator. */
  readonly newRunId: () => string;
}

/** Checks submissions and stores the ones that may run. */
export class RunAdmission {
  constructor(private readonly deps: RunAdmissionDeps) {}

  /** Resolve, estimate and check a spec without storing anything (an inline dataset is checked, not stored). */
  estimate(learnerId: string, request: SubmitRequest): FitReport {
    const inline = request.dataset ? this.previewInline(learnerId, request.dataset) : undefined;
    const spec = resolveSubmittedSpec(this.deps.cohort, request.spec, this.uploadsOf(learnerId), inline);
    return this.fitReport(learnerId, spec);
  }

  /** Validate and estimate a submission; refuse it, or store its inline dataset as an upload and the run `queued`. */
  async enqueue(learnerId: string, request: SubmitRequest): Promise<AdmissionResult> {
    const { store } = this.deps;
    if (request.dataset) this.asInput(() => this.deps.datasets.bucketOrRefuse());
    const inline = request.dataset ? this.previewInline(learnerId, request.dataset) : undefined;
    let spec = resolveSubmittedSpec(this.deps.cohort, request.spec, this.uploadsOf(learnerId), inline);
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
    if (request.dataset && spec.dataset.source === "upload") {
      // Stored only now that the run may go ahead; the same bytes uploaded before keep their first record.
      const record = await this.uploadInline(learnerId, request.dataset);
      spec = {
        ...spec,
        dataset: { ...spec.dataset, id: record.id, name: record.name, uri: record.uri, sha256: record.sha256 },
      };
    }

    const id = this.deps.newRunId();
    const createdAt = new Date(this.deps.now()).toISOString();
    store.insertRun({ id, learnerId, spec, estimate: fit.estimate, state: "queued", createdAt });
    this.deps.states.record(id, "queued");
    return { decision: "stored", runId: id, fit };
  }

  /** How a spec's upload ids resolve for this learner: their own uploads only. */
  private uploadsOf(learnerId: string): (id: string) => UploadRecord | undefined {
    return (id) => this.deps.datasets.findOwn(learnerId, id);
  }

  /** `work`'s answer, with an upload the learner got wrong as the RunInputError the API answers 400 for. */
  private asInput<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof DatasetUploadError) throw new RunInputError(error.message);
      throw error;
    }
  }

  private previewInline(learnerId: string, dataset: NonNullable<SubmitRequest["dataset"]>): UploadRecord {
    return this.asInput(() => this.deps.datasets.preview(learnerId, dataset.name, dataset.contentBase64));
  }

  private async uploadInline(learnerId: string, dataset: NonNullable<SubmitRequest["dataset"]>) {
    try {
      return await this.deps.datasets.upload(learnerId, dataset.name, dataset.contentBase64);
    } catch (error) {
      if (error instanceof DatasetUploadError) throw new RunInputError(error.message);
      throw error;
    }
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

/** The id an inline dataset stands under while a spec is resolved, before it is stored (it matches `DATASET_ID_PATTERN`). */
const INLINE_UPLOAD_ID = "ds-notstoredyet";

/**
 * A learner's partial RunSpec resolved against its exercise's defaults (default: the cohort's
 * first exercise). A dataset named by id resolves through `findUpload` (the learner's own
 * uploads); an `inline` dataset sent with the request takes the spec's dataset over (its
 * `testSplit` is kept). Every problem is a RunInputError with its `spec.` path.
 */
export function resolveSubmittedSpec(
  cohort: Cohort,
  input: unknown,
  findUpload: (id: string) => UploadRecord | undefined,
  inline?: UploadRecord,
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
  let withDataset = given;
  const givenDataset = given.dataset ?? {};
  if (inline && typeof givenDataset === "object" && !Array.isArray(givenDataset)) {
    // The inline file is the dataset: `source` and `name` (which older clients send) give way to it;
    // anything else stays, so a `uri` or `sha256` in the request is still refused by the schema.
    const { source: _source, name: _name, ...rest } = givenDataset as Record<string, unknown>;
    withDataset = { ...given, dataset: { ...rest, source: "upload", id: INLINE_UPLOAD_ID } };
  }
  let spec: RunSpec;
  try {
    spec = resolveRunSpec(withDataset, exercise.id, exercise.defaults, {
      findUpload: (id) => (inline && id === INLINE_UPLOAD_ID ? inline : findUpload(id)),
    });
  } catch (error) {
    if (error instanceof RunSpecError)
      throw new RunInputError(
        error.message,
        error.problems.map((p) => `spec.${p}`),
      );
    throw error;
  }
  if (spec.dataset.source === "upload" && spec.dataset.id === INLINE_UPLOAD_ID) {
    const { id: _id, ...unstored } = spec.dataset;
    spec = { ...spec, dataset: unstored };
  }
  if (!cohort.models.some((m) => m.id === spec.baseModel)) {
    throw new RunInputError(
      `spec.baseModel: \`${spec.baseModel}\` is not in this cohort's model catalog: use one of ${cohort.models.map((m) => m.id).join(", ")}`,
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
