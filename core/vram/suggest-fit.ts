/**
 * When a run does not fit a memory limit, propose the nearest configurations that do, each
 * with its new estimate. Pure: it only calls the estimator.
 */
import type { RunSpec } from "../../schema/run-spec";
import { estimatePeakVram, type VramEstimate } from "./estimate-peak-vram";
import { requireModelArchitecture } from "./model-architectures";

/** One change that makes a run fit. */
export interface FitSuggestion {
  /** What to change, as a sentence a learner can act on. */
  change: string;
  /** The run with the change applied. */
  spec: RunSpec;
  /** The estimate of the changed run. */
  estimate: VramEstimate;
}

interface Candidate {
  change: string;
  spec: RunSpec;
  /**
   * How much the change costs the learner, lower is nearer: checkpointing and smaller micro
   * batches keep the result and only cost time; 8-bit optimizer states and 4-bit weights cost a
   * little accuracy; a smaller rank or a shorter sequence change what is learned.
   */
  distance: number;
}

const withTraining = (spec: RunSpec, training: Partial<RunSpec["training"]>): RunSpec => ({
  ...spec,
  training: { ...spec.training, ...training },
});

const fits = (spec: RunSpec, limitMiB: number) => estimatePeakVram(spec).totalMiB <= limitMiB;

/** The largest value of `values` (tried in order, largest first) for which `make(value)` fits. */
function firstFitting<T>(values: readonly T[], make: (value: T) => RunSpec, limitMiB: number): T | undefined {
  return values.find((value) => fits(make(value), limitMiB));
}

function singleChanges(spec: RunSpec, limitMiB: number): Candidate[] {
  const out: Candidate[] = [];
  const t = spec.training;
  if (!t.gradientCheckpointing) {
    out.push({
      change: "turn gradient checkpointing on (about 30% slower, same result)",
      spec: withTraining(spec, { gradientCheckpointing: true }),
      distance: 1,
    });
  }
  const batches: number[] = [];
  for (let b = Math.floor(t.microBatchSize / 2); b >= 1; b = Math.floor(b / 2)) batches.push(b);
  const batch = firstFitting(
    batches,
    (b) =>
      withTraining(spec, {
        microBatchSize: b,
        gradientAccumulationSteps: Math.ceil((t.microBatchSize * t.gradientAccumulationSteps) / b),
      }),
    limitMiB,
  );
  if (batch !== undefined) {
    const accumulation = Math.ceil((t.microBatchSize * t.gradientAccumulationSteps) / batch);
    out.push({
      change: `use micro batch ${batch} with gradient accumulation ${accumulation} (same effective batch of ${batch * accumulation}, slower)`,
      spec: withTraining(spec, { microBatchSize: batch, gradientAccumulationSteps: accumulation }),
      distance: 1 + Math.log2(t.microBatchSize / batch) * 0.5,
    });
  }
  if (t.optimizer === "adamw_torch" || t.optimizer === "paged_adamw_32bit") {
    out.push({
      change: "use the 8-bit optimizer `paged_adamw_8bit`",
      spec: withTraining(spec, { optimizer: "paged_adamw_8bit" }),
      distance: 2,
    });
  }
  if (spec.method === "lora") {
    out.push({
      change: "train with QLoRA (method qlora: a 4-bit NF4 base)",
      spec: {
        ...spec,
        method: "qlora",
        quantization: { ...spec.quantization, bits: 4, quantType: "nf4", doubleQuant: true },
      },
      distance: 2.5,
    });
  }
  const ranks: number[] = [];
  for (let r = Math.floor(spec.lora.r / 2); r >= 4; r = Math.floor(r / 2)) ranks.push(r);
  const rank = firstFitting(ranks, (r) => ({ ...spec, lora: { ...spec.lora, r, alpha: 2 * r } }), limitMiB);
  if (rank !== undefined) {
    out.push({
      change: `lower the LoRA rank to ${rank} (alpha ${2 * rank})`,
      spec: { ...spec, lora: { ...spec.lora, r: rank, alpha: 2 * rank } },
      distance: 3 + Math.log2(spec.lora.r / rank),
    });
  }
  const lengths: number[] = [];
  for (let s = Math.floor((t.maxSeqLength * 3) / 4 / 64) * 64; s >= 128; s = Math.floor((s * 3) / 4 / 64) * 64)
    lengths.push(s);
  const length = firstFitting(lengths, (s) => withTraining(spec, { maxSeqLength: s }), limitMiB);
  if (length !== undefined) {
    out.push({
      change: `shorten max sequence length to ${length} tokens (longer examples are truncated)`,
      spec: withTraining(spec, { maxSeqLength: length }),
      distance: 4 + Math.log2(t.maxSeqLength / length) * 2,
    });
  }
  return out;
}

/** Cheap changes stacked one after another, with the distance each adds. */
const STACK: ReadonlyArray<{ label: string; distance: number; apply: (s: RunSpec) => RunSpec }> = [
  { label: "gradient checkpointing on", distance: 1, apply: (s) => withTraining(s, { gradientCheckpointing: true }) },
  {
    label: "micro batch 1 with more accumulation",
    distance: 1.5,
    apply: (s) =>
      withTraining(s, {
        microBatchSize: 1,
        gradientAccumulationSteps: s.training.microBatchSize * s.training.gradientAccumulationSteps,
      }),
  },
  {
    label: "optimizer paged_adamw_8bit",
    distance: 2,
    apply: (s) => (s.training.optimizer === "sgd" ? s : withTraining(s, { optimizer: "paged_adamw_8bit" })),
  },
  {
    label: "method qlora (4-bit base)",
    distance: 2.5,
    apply: (s) => ({
      ...s,
      method: "qlora",
      quantization: { ...s.quantization, bits: 4, quantType: "nf4", doubleQuant: true },
    }),
  },
  {
    label: "LoRA rank 8",
    distance: 4,
    apply: (s) => (s.lora.r > 8 ? { ...s, lora: { ...s.lora, r: 8, alpha: 16 } } : s),
  },
];

/** The first prefix of STACK that makes the run fit (shortening sequences last), or undefined. */
function stackedChange(spec: RunSpec, limitMiB: number): Candidate | undefined {
  let combined = spec;
  let distance = 0;
  const steps: string[] = [];
  for (const step of STACK) {
    const next = step.apply(combined);
    if (JSON.stringify(next) === JSON.stringify(combined)) continue;
    combined = next;
    distance += step.distance;
    steps.push(step.label);
    if (steps.length > 1 && fits(combined, limitMiB))
      return { change: `combine: ${steps.join(", ")}`, spec: combined, distance };
  }
  for (let s = Math.floor(combined.training.maxSeqLength / 2); s >= 128; s = Math.floor(s / 2)) {
    const shorter = withTraining(combined, { maxSeqLength: s });
    if (fits(shorter, limitMiB)) {
      return {
        change: `combine: ${[...steps, `max sequence length ${s}`].join(", ")}`,
        spec: shorter,
        distance: distance + 4 + Math.log2(spec.training.maxSeqLength / s) * 2,
      };
    }
  }
  return undefined;
}

/**
 * Configurations near `spec` whose estimate fits in `limitMiB`, nearest first: each single
 * change that is enough on its own, and the cheap changes stacked until the run fits. Empty
 * when the run already fits, or when nothing labkit can change makes it fit.
 */
export function suggestFit(spec: RunSpec, limitMiB: number): FitSuggestion[] {
  requireModelArchitecture(spec.baseModel);
  if (fits(spec, limitMiB)) return [];
  const candidates = singleChanges(spec, limitMiB).filter((c) => fits(c.spec, limitMiB));
  // Stacking is only worth offering when no change that merely costs time is enough alone.
  const stacked = candidates.some((c) => c.distance < 2) ? undefined : stackedChange(spec, limitMiB);
  if (stacked) candidates.push(stacked);
  return candidates
    .sort((a, b) => a.distance - b.distance || a.change.localeCompare(b.change))
    .map((c) => ({ change: c.change, spec: c.spec, estimate: estimatePeakVram(c.spec) }));
}
