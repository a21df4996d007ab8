/** Plan section: every exercise's predicted peak VRAM against the learners' quota and the pools' GPUs. */
import { gpuPoolCapacity } from "../../../core/cost/gpu-pools";
import { HAMI_CUDA_CONTEXT_HEADROOM_MIB } from "../../../core/scheduler/placement";
import { estimatePeakVram, UnknownModelError } from "../../../core/vram/estimate-peak-vram";
import { suggestFit } from "../../../core/vram/suggest-fit";
import type { Cohort } from "../../../schema/cohort";
import { resolveRunSpec } from "../../../schema/run-spec";
import { gib, renderTable } from "../../format/table";
import { planSection } from "../plan-section";

/** The most a single run can be given on the cohort's pools, MiB: a GPU (less HAMi's headroom) or a MIG slice. */
export function largestRunSlotMiB(cohort: Pick<Cohort, "gpuPools">): number {
  return cohort.gpuPools.reduce((max, pool) => {
    const capacity = gpuPoolCapacity(pool);
    const slot =
      pool.sharing === "hami" ? capacity.slotMemoryMiB - HAMI_CUDA_CONTEXT_HEADROOM_MIB : capacity.slotMemoryMiB;
    return Math.max(max, slot);
  }, 0);
}

interface ExerciseFit {
  id: string;
  model: string;
  method: string;
  /** Predicted peak, MiB; null when the model is not in labkit's catalog. */
  totalMiB: number | null;
  fitsQuota: boolean | null;
  fitsGpu: boolean | null;
  suggestions: Array<{ change: string; totalMiB: number }>;
  problem?: string;
}

export const exercisesSection = planSection({
  id: "exercises",
  title: "Exercises: predicted peak GPU memory per run",
  build: (cohort) => {
    const quotaMiB = cohort.quotas.vramGiB * 1024;
    const slotMiB = largestRunSlotMiB(cohort);
    const limitMiB = Math.min(quotaMiB, slotMiB);
    const exercises = cohort.exercises.map((exercise): ExerciseFit => {
      const spec = resolveRunSpec({}, exercise.id, exercise.defaults);
      try {
        const estimate = estimatePeakVram(spec);
        const fitsQuota = estimate.totalMiB <= quotaMiB;
        const fitsGpu = estimate.totalMiB <= slotMiB;
        return {
          id: exercise.id,
          model: spec.baseModel,
          method: spec.method,
          totalMiB: estimate.totalMiB,
          fitsQuota,
          fitsGpu,
          suggestions:
            fitsQuota && fitsGpu
              ? []
              : suggestFit(spec, limitMiB)
                  .slice(0, 3)
                  .map((s) => ({ change: s.change, totalMiB: s.estimate.totalMiB })),
        };
      } catch (error) {
        if (!(error instanceof UnknownModelError)) throw error;
        return {
          id: exercise.id,
          model: spec.baseModel,
          method: spec.method,
          totalMiB: null,
          fitsQuota: null,
          fitsGpu: null,
          suggestions: [],
          problem: `no architecture facts for ${spec.baseModel}: its VRAM cannot be predicted, so the controller will refuse its runs`,
        };
      }
    });
    return { quotaMiB, largestSlotMiB: slotMiB, exercises };
  },
  render: (data) => {
    const yesNo = (v: boolean | null) => (v === null ? "?" : v ? "yes" : "NO");
    const lines = renderTable(
      ["exercise", "model", "method", "peak", "fits quota", "fits a GPU"],
      data.exercises.map((e) => [
        e.id,
        e.model,
        e.method,
        e.totalMiB === null ? "unknown" : gib(e.totalMiB),
        yesNo(e.fitsQuota),
        yesNo(e.fitsGpu),
      ]),
    );
    lines.push(
      `Quota: ${gib(data.quotaMiB)} per learner; largest slot one run can get: ${gib(data.largestSlotMiB)}. Peaks assume every batch padded to its max sequence length.`,
    );
    for (const e of data.exercises) {
      if (e.problem) lines.push(`! ${e.id}: ${e.problem}`);
      if (e.suggestions.length > 0) {
        lines.push(`! ${e.id} does not fit; change its defaults, e.g.:`);
        for (const s of e.suggestions) lines.push(`    - ${s.change}: ${gib(s.totalMiB)}`);
      } else if (e.fitsQuota === false || e.fitsGpu === false) {
        lines.push(`! ${e.id} does not fit and no config of ${e.model} does: use a smaller model or raise the quota`);
      }
    }
    return lines;
  },
});
